"""The shared PNG writer: round trips, clear errors naming the file, no partial file left."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import FrameError, OutputError
from edge.io.overlay import write_png
from edge.testing.faults import fill_filesystem


def test_write_png_writes_rgb_in_rgb_order_and_grey_as_grey_into_new_folders(
    tmp_path: Path,
) -> None:
    rgb = np.zeros((6, 9, 3), np.uint8)
    rgb[..., 0] = 200  # red
    grey = np.arange(54, dtype=np.uint8).reshape(6, 9)
    rgb_path = write_png(tmp_path / "a" / "b" / "rgb.png", rgb)
    grey_path = write_png(tmp_path / "grey.png", grey)
    assert rgb_path == tmp_path / "a" / "b" / "rgb.png"
    np.testing.assert_array_equal(cv2.imread(str(rgb_path))[..., ::-1], rgb)
    np.testing.assert_array_equal(cv2.imread(str(grey_path), cv2.IMREAD_UNCHANGED), grey)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["grey.png", "rgb.png"]


@pytest.mark.parametrize(
    "image",
    [np.zeros((4, 4, 3), np.float64), np.zeros((4, 4, 5), np.uint8), np.zeros((0, 4), np.uint8)],
)
def test_write_png_refuses_what_is_not_a_uint8_image_naming_the_file(
    tmp_path: Path, image: np.ndarray
) -> None:
    path = tmp_path / "bad.png"
    with pytest.raises(FrameError, match=r"bad\.png: .*expected uint8 RGB \(H, W, 3\) or grey"):
        write_png(path, image)
    assert not path.exists()


def test_write_png_on_a_full_disk_names_the_file_and_leaves_no_partial_file(
    small_fs: Path,
) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    filler = fill_filesystem(small_fs)
    filler.write_bytes(filler.read_bytes()[:-16384])  # room for a little, not for the PNG
    path = small_fs / "out" / "overlay.png"
    with pytest.raises(OutputError, match=r"out/overlay\.png: .*the disk is full"):
        write_png(path, noise)
    assert not path.exists()
    assert [p.name for p in small_fs.rglob("*") if p.is_file()] == ["filler"]


def test_write_png_where_a_file_is_in_the_way_of_its_folder_is_an_output_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "out").write_text("a file")
    with pytest.raises(OutputError, match=r"out/x\.png: cannot write"):
        write_png(tmp_path / "out" / "x.png", np.zeros((4, 4), np.uint8))
