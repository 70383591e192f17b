"""edge.io.readers: every frame and mask format, good and bad, written by the tests themselves."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.frame import celsius_to_y16, y16_to_celsius
from edge.errors import FrameError, OutputError
from edge.io.readers import (
    FRAME_SUFFIXES,
    list_frame_files,
    read_frame,
    read_mask,
    write_mask_png,
)


def _celsius(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(20.0, 37.0, (h, w))


def _dmr_text(values: np.ndarray, sep: str, line_end: str, trailing: bool = False) -> bytes:
    tail = sep if trailing else ""
    rows = [sep.join(f"{v:.2f}" for v in row) + tail for row in values]
    return (line_end.join(rows) + line_end).encode("ascii")


# --- .npy -------------------------------------------------------------------------------------


def test_float_npy_reads_as_celsius_float32_with_path_format_and_mtime(tmp_path: Path) -> None:
    values = _celsius()
    path = tmp_path / "a.npy"
    np.save(path, values)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    frame = read_frame(path, sequence=5)
    assert frame.kind == "celsius"
    assert frame.pixels.dtype == np.float32
    np.testing.assert_array_equal(frame.pixels, values.astype(np.float32))
    assert frame.metadata == {"path": str(path), "format": "npy"}
    assert frame.source == str(path)
    assert frame.sequence == 5
    assert frame.timestamp == 1_600_000_000


def test_uint16_npy_reads_as_y16(tmp_path: Path) -> None:
    raw = celsius_to_y16(_celsius())
    np.save(tmp_path / "raw.npy", raw)
    frame = read_frame(tmp_path / "raw.npy")
    assert frame.kind == "y16"
    np.testing.assert_array_equal(frame.pixels, raw)


def test_three_dimensional_float_npy_raises_frame_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cube.npy"
    np.save(path, np.zeros((4, 16, 16), np.float32))
    with pytest.raises(FrameError, match=r"cube\.npy.*\(4, 16, 16\).*expected float"):
        read_frame(path)


def test_truncated_npy_raises_frame_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.npy"
    np.save(path, _celsius())
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(FrameError, match=r"cut\.npy.*truncated"):
        read_frame(path)


def test_npy_holding_kelvin_raises_frame_error_saying_it_is_not_celsius(tmp_path: Path) -> None:
    path = tmp_path / "kelvin.npy"
    np.save(path, _celsius() + 273.15)
    with pytest.raises(FrameError, match=r"kelvin\.npy.*not °C"):
        read_frame(path)


def test_reader_is_chosen_by_content_not_extension(tmp_path: Path) -> None:
    values = _celsius()
    npy_named_txt = tmp_path / "really_npy.txt"
    with open(npy_named_txt, "wb") as fh:
        np.save(fh, values)
    text_named_npy = tmp_path / "really_text.npy"
    text_named_npy.write_bytes(_dmr_text(values, " ", "\n"))
    assert read_frame(npy_named_txt).metadata["format"] == "npy"
    assert read_frame(text_named_npy).metadata["format"] == "dmr-txt"


# --- DMR-IR text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "line_end", "trailing"),
    [(" ", "\n", False), (";", "\r\r\n", True), (";", "\r\n", False), (" ", "\r\n", True)],
)
def test_dmr_text_variants_parse_to_the_written_values(
    tmp_path: Path, sep: str, line_end: str, trailing: bool
) -> None:
    values = _celsius(30, 40)
    path = tmp_path / "matrix.txt"
    path.write_bytes(_dmr_text(values, sep, line_end, trailing))
    frame = read_frame(path)
    assert frame.kind == "celsius"
    assert frame.metadata["format"] == "dmr-txt"
    np.testing.assert_allclose(frame.pixels, np.round(values, 2), atol=1e-5)


def test_full_size_dmr_matrix_reads_as_480_by_640(tmp_path: Path) -> None:
    values = _celsius(480, 640, seed=3)
    path = tmp_path / "IR_0001.txt"
    path.write_bytes(_dmr_text(values, ";", "\r\r\n", trailing=True))
    frame = read_frame(path)
    assert frame.shape == (480, 640)
    np.testing.assert_allclose(frame.pixels, np.round(values, 2), atol=1e-5)


def test_dmr_rows_of_unequal_length_raise_frame_error_naming_file_and_row(tmp_path: Path) -> None:
    rows = [" ".join(["33.1"] * 12)] * 10
    rows[6] = " ".join(["33.1"] * 11)
    path = tmp_path / "ragged.txt"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(FrameError, match=r"ragged\.txt.*unequal.*row 7 has 11"):
        read_frame(path)


def test_dmr_non_numeric_value_raises_frame_error_naming_the_file(tmp_path: Path) -> None:
    rows = [" ".join(["33.1"] * 12)] * 10
    rows[3] = "33.1 " * 5 + "3x.5 " + "33.1 " * 6
    path = tmp_path / "letters.txt"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(FrameError, match=r"letters\.txt.*non-numeric"):
        read_frame(path)


def test_text_that_is_not_a_matrix_raises_frame_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("patient notes, not temperatures\n")
    with pytest.raises(FrameError, match=r"notes\.txt.*unrecognised"):
        read_frame(path)


def test_empty_file_raises_frame_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(FrameError, match=r"empty\.txt.*empty"):
        read_frame(path)


def test_missing_file_raises_frame_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match=r"absent\.npy.*no such file"):
        read_frame(tmp_path / "absent.npy")


# --- 16-bit Y16 images ------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "fmt"), [(".png", "png16"), (".tiff", "tiff16")])
def test_y16_image_round_trips_centikelvin_to_exact_celsius(
    tmp_path: Path, suffix: str, fmt: str
) -> None:
    raw = celsius_to_y16(_celsius(60, 80))
    path = tmp_path / f"lepton{suffix}"
    assert cv2.imwrite(str(path), raw)
    frame = read_frame(path)
    assert frame.kind == "y16"
    assert frame.metadata["format"] == fmt
    np.testing.assert_array_equal(frame.pixels, raw)
    np.testing.assert_array_equal(frame.celsius(), y16_to_celsius(raw))


def test_decikelvin_y16_is_read_with_resolution_k_override(tmp_path: Path) -> None:
    values = np.full((16, 16), 34.0)
    raw = celsius_to_y16(values, resolution_k=0.1)
    path = tmp_path / "dk.png"
    cv2.imwrite(str(path), raw)
    frame = read_frame(path, resolution_k=0.1)
    assert frame.resolution_k == 0.1
    np.testing.assert_allclose(frame.celsius(), values, atol=0.06)


def test_sixteen_bit_colour_image_raises_frame_error(tmp_path: Path) -> None:
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), np.full((16, 16, 3), 30000, np.uint16))
    with pytest.raises(FrameError, match=r"rgb16\.png.*single-channel"):
        read_frame(path)


def test_float_tiff_reads_as_celsius(tmp_path: Path) -> None:
    values = _celsius().astype(np.float32)
    path = tmp_path / "celsius.tif"
    cv2.imwrite(str(path), values)
    frame = read_frame(path)
    assert (frame.kind, frame.metadata["format"]) == ("celsius", "tiff-float")
    np.testing.assert_array_equal(frame.pixels, values)


# --- 8-bit pseudo-colour ----------------------------------------------------------------------


def test_colour_png_reads_as_rgb_in_rgb_order(tmp_path: Path) -> None:
    rgb = np.zeros((16, 20, 3), np.uint8)
    rgb[..., 0] = 200  # red
    rgb[:8, :, 2] = 50  # some blue in the top half
    path = tmp_path / "jet.png"
    cv2.imwrite(str(path), rgb[:, :, ::-1])
    frame = read_frame(path)
    assert (frame.kind, frame.metadata["format"]) == ("rgb", "png8")
    np.testing.assert_array_equal(frame.pixels, rgb)


def test_grey_png_becomes_three_equal_channels(tmp_path: Path) -> None:
    grey = np.arange(16 * 16, dtype=np.uint8).reshape(16, 16)
    path = tmp_path / "grey.png"
    cv2.imwrite(str(path), grey)
    frame = read_frame(path)
    assert frame.pixels.shape == (16, 16, 3)
    for channel in range(3):
        np.testing.assert_array_equal(frame.pixels[:, :, channel], grey)


def test_jpeg_reads_as_rgb(tmp_path: Path) -> None:
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[..., 0] = 220
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    frame = read_frame(path)
    assert (frame.kind, frame.metadata["format"]) == ("rgb", "jpeg")
    assert abs(int(frame.pixels[..., 0].mean()) - 220) < 4
    assert frame.pixels[..., 2].mean() < 10


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image_raises_frame_error_naming_the_file(tmp_path: Path, suffix: str) -> None:
    image = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    path = tmp_path / f"cut{suffix}"
    cv2.imwrite(str(path), image)
    path.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(FrameError, match=r"cut\.(png|jpg).*truncated"):
        read_frame(path)


def test_garbage_bytes_raise_frame_error(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FrameError, match=r"noise\.png.*unrecognised"):
        read_frame(path)


def test_corrupt_png_body_raises_frame_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    cv2.imwrite(str(path), np.zeros((16, 16), np.uint8))
    data = bytearray(path.read_bytes())
    data[40:60] = b"\x00" * 20  # smash the image header and data chunk, keep IEND
    path.write_bytes(bytes(data))
    with pytest.raises(FrameError, match=r"broken\.png"):
        read_frame(path)


# --- masks ------------------------------------------------------------------------------------


def test_write_mask_png_writes_0_255_and_read_mask_returns_0_1(tmp_path: Path) -> None:
    mask = np.zeros((12, 20), np.uint8)
    mask[3:7, 4:11] = 1
    path = write_mask_png(tmp_path / "sub" / "m.png", mask)
    on_disk = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert on_disk.dtype == np.uint8
    assert set(np.unique(on_disk)) == {0, 255}
    back = read_mask(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, mask)


def test_colour_mask_pixel_is_one_when_any_channel_is_non_zero(tmp_path: Path) -> None:
    bgr = np.zeros((10, 10, 3), np.uint8)
    bgr[1, 1, 0] = 1
    bgr[2, 2, 1] = 200
    bgr[3, 3, 2] = 7
    path = tmp_path / "colour.png"
    cv2.imwrite(str(path), bgr)
    mask = read_mask(path)
    assert mask.shape == (10, 10)
    assert set(zip(*np.nonzero(mask), strict=True)) == {(1, 1), (2, 2), (3, 3)}


def test_unreadable_mask_raises_frame_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    with pytest.raises(FrameError, match=r"mask\.png"):
        read_mask(path)


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("half.npy", np.full((6, 8), 0.5, np.float64)),
        ("complex.npy", np.zeros((6, 8), np.complex128)),
        ("labels.npy", np.arange(48, dtype=np.uint8).reshape(6, 8)),
        ("colour.npy", np.zeros((6, 8, 3), np.uint8)),
        ("nan.npy", np.full((6, 8), np.nan, np.float32)),
    ],
)
def test_a_bad_npy_mask_is_refused_naming_the_file_and_what_a_mask_must_be(
    tmp_path: Path, name: str, array: np.ndarray
) -> None:
    path = tmp_path / name
    np.save(path, array)
    with pytest.raises(FrameError) as caught:
        read_mask(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "mask" in message and "0/1" in message and "(H, W)" in message
    assert "°C" not in message and "Y16" not in message


@pytest.mark.parametrize(
    "array",
    [
        np.eye(5, dtype=bool),
        np.eye(5, dtype=np.uint8),
        np.eye(5, dtype=np.int64),
        np.eye(5, dtype=np.float32),
        np.eye(5, dtype=np.uint8) * 255,
    ],
)
def test_npy_masks_of_bool_integer_float_or_0_255_read_as_0_1(
    tmp_path: Path, array: np.ndarray
) -> None:
    path = tmp_path / "m.npy"
    np.save(path, array)
    mask = read_mask(path)
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, np.eye(5, dtype=np.uint8))


def test_write_mask_png_rejects_a_three_dimensional_array(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match=r"bad\.png.*\(H, W\)"):
        write_mask_png(tmp_path / "bad.png", np.zeros((4, 4, 3), np.uint8))


def test_write_mask_png_where_a_file_is_in_the_way_of_its_folder_is_an_output_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "masks").write_text("a file")
    with pytest.raises(OutputError, match=r"masks/m\.png: cannot write"):
        write_mask_png(tmp_path / "masks" / "m.png", np.eye(4, dtype=np.uint8))


# --- folders ----------------------------------------------------------------------------------


def test_list_frame_files_returns_frame_suffixes_sorted_and_skips_subfolders(
    tmp_path: Path,
) -> None:
    for name in ("b.npy", "a.txt", "c.PNG", "d.tiff", "labels.jsonl", "readme.md"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "a.png").write_bytes(b"x")
    assert [p.name for p in list_frame_files(tmp_path)] == ["a.txt", "b.npy", "c.PNG", "d.tiff"]
    assert ".npy" in FRAME_SUFFIXES
    assert ".txt" in FRAME_SUFFIXES


def test_list_frame_files_on_a_missing_folder_raises_frame_error(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match=r"nowhere.*not a folder"):
        list_frame_files(tmp_path / "nowhere")


def test_dmr_text_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    values = _celsius(10, 12)
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + _dmr_text(values, ";", "\r\n"))
    np.testing.assert_allclose(read_frame(path).pixels, np.round(values, 2), atol=1e-5)


def test_npy_files_sharing_a_header_each_read_their_own_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    arrays = [rng.uniform(20.0, 37.0, (12, 16)).astype(np.float32) for _ in range(3)]
    arrays.append(arrays[0].T.copy())  # another shape: another header
    arrays.append(np.asfortranarray(arrays[1]))  # Fortran order: another header
    for i, array in enumerate(arrays):
        np.save(tmp_path / f"{i}.npy", array)
    for _ in range(2):  # the second time every header is a cached one
        for i, array in enumerate(arrays):
            np.testing.assert_array_equal(read_frame(tmp_path / f"{i}.npy").pixels, array)
    good = (tmp_path / "0.npy").read_bytes()
    (tmp_path / "short.npy").write_bytes(good[:-4])  # the cached header, four bytes missing
    with pytest.raises(FrameError, match=r"short\.npy"):
        read_frame(tmp_path / "short.npy")
