"""segment/evaluate on hostile batches: one bad file never stops the rest; outputs never collide."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli._batch import output_stems, printable
from edge.cli.main import main
from edge.phantom import generate


@pytest.fixture(scope="module")
def frames() -> dict[str, np.ndarray]:
    return {
        "abnormal": generate(7, 0, stage="advanced").celsius.astype(np.float32),
        "normal": generate(7, 1, stage="normal").celsius.astype(np.float32),
    }


def _bad_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    zero = folder / "zero.npy"
    np.save(zero, np.zeros((0, 10), np.float32))
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 10"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    broken = folder / "broken_header.npy"
    broken.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    strip = folder / "strip.npy"
    np.save(strip, np.full((8, 20000), 30.0, np.float32))
    return [zero, broken, strip]


def _lines(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_a_batch_goes_on_after_bad_files_names_them_and_exits_3(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "in" / "good.npy"
    bad = _bad_files(tmp_path / "in")
    np.save(good, frames["abnormal"])
    files = [bad[0], good, bad[1], bad[2]]
    out = tmp_path / "out"
    assert main(["segment", "--out", str(out), *map(str, files)]) == 3
    lines = _lines(out)
    assert [line["file"] for line in lines] == [str(f) for f in files]  # complete, in order
    assert [line["status"] for line in lines] == ["error", "ok", "error", "error"]
    err = capsys.readouterr().err
    for path in bad:
        assert f"skipped: {path}" in err
    assert "zero.npy" in str(lines[0]["error"]) and "non-empty" in str(lines[0]["error"])
    assert "20000x8" in str(lines[3]["error"]) and "max_side" in str(lines[3]["error"])
    assert Path(str(lines[1]["outputs"]["mask"])).is_file()  # type: ignore[index]


def test_a_frame_too_small_to_screen_is_skipped_and_the_next_one_segmented(
    frames: dict[str, np.ndarray], tmp_path: Path
) -> None:
    tiny = tmp_path / "tiny.npy"
    np.save(tiny, np.zeros((1, 1, 3), np.uint8))
    good = tmp_path / "good.npy"
    np.save(good, frames["normal"])
    out = tmp_path / "out"
    assert main(["segment", "--out", str(out), str(tiny), str(good)]) == 3
    lines = _lines(out)
    assert [line["status"] for line in lines] == ["error", "ok"]
    assert "tiny.npy" in str(lines[0]["error"]) and "too small" in str(lines[0]["error"])


def test_outputs_mirror_input_folders_and_never_overwrite_each_other(
    frames: dict[str, np.ndarray], tmp_path: Path
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    np.save(tmp_path / "x" / "a.npy", frames["abnormal"])
    np.save(tmp_path / "y" / "a.npy", frames["normal"])
    text = "\n".join(" ".join(f"{v:.2f}" for v in row) for row in frames["normal"])
    (tmp_path / "x" / "a.txt").write_text(text + "\n")
    files = [tmp_path / "x" / "a.npy", tmp_path / "y" / "a.npy", tmp_path / "x" / "a.txt"]
    out = tmp_path / "out"
    assert main(["segment", "--out", str(out), *map(str, files)]) == 0
    lines = _lines(out)
    masks = [Path(str(line["outputs"]["mask"])) for line in lines]  # type: ignore[index]
    assert masks == [
        out / "x" / "a.npy_mask.png",
        out / "y" / "a_mask.png",
        out / "x" / "a.txt_mask.png",
    ]
    assert len({str(line["outputs"]["overlay"]) for line in lines}) == 3  # type: ignore[index]
    abnormal = cv2.imread(str(masks[0]), cv2.IMREAD_UNCHANGED)
    assert lines[0]["abnormal"] and abnormal.any()  # not replaced by the normal frame's mask


def test_output_stems_disambiguate_duplicates_and_case() -> None:
    stems = output_stems([Path("d/A.npy"), Path("d/a.npy"), Path("d/A.npy"), Path("e/b.npy")])
    assert stems == [Path("d/A.npy"), Path("d/a.npy-2"), Path("d/A.npy-3"), Path("e/b")]


def test_a_newline_in_a_file_name_is_escaped_when_echoed(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sneaky = tmp_path / "a\nfake.npy: ABNORMAL\x1b[2J.npy"
    np.save(sneaky, np.zeros((0, 3), np.float32))
    good = tmp_path / "b\tgood.npy"
    np.save(good, frames["normal"])
    out = tmp_path / "out"
    assert main(["segment", "--out", str(out), str(sneaky), str(good)]) == 3
    captured = capsys.readouterr()
    assert "\\nfake.npy" in captured.err and "\x1b" not in captured.err
    assert "b\\tgood.npy: " in captured.out and "\t" not in captured.out
    assert printable("x\ny\x07") == "x\\ny\\x07"


def test_out_that_is_a_file_is_a_clear_error(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.npy"
    np.save(good, frames["normal"])
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    assert main(["segment", "--out", str(blocker), str(good)]) == 1
    err = capsys.readouterr().err
    assert "--out is a file" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_on_a_read_only_folder_is_a_clear_error(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.npy"
    np.save(good, frames["normal"])
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["segment", "--out", str(locked / "out"), str(good)]) == 1
    finally:
        locked.chmod(0o700)
    assert "permission denied" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_out_is_a_clear_error(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /dev/full answers every write with ENOSPC: a results.jsonl that is that device fills up.
    good = tmp_path / "good.npy"
    np.save(good, frames["normal"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").symlink_to("/dev/full")
    assert main(["segment", "--out", str(out), str(good)]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err


def test_evaluate_skips_a_bad_frame_by_name_and_exits_3(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    (data / "masks").mkdir(parents=True)
    np.save(data / "good.npy", frames["abnormal"])
    cv2.imwrite(str(data / "masks" / "good.png"), np.zeros(frames["abnormal"].shape, np.uint8))
    np.save(data / "zero.npy", np.zeros((0, 4), np.float32))
    cv2.imwrite(str(data / "masks" / "zero.png"), np.zeros((4, 4), np.uint8))
    out = tmp_path / "out"
    assert main(["evaluate", "--out", str(out), str(data)]) == 3
    result = json.loads((out / "evaluation.json").read_text())
    assert result["frames"] == 1
    assert [s["file"] for s in result["skipped"]] == [str(data / "zero.npy")]
    assert "zero.npy" in capsys.readouterr().err


_LOW_MEMORY_CHILD = """
import resource, sys
from edge.cli.main import main
out, big, small = sys.argv[1:4]
main(["segment", "--out", out + "-warm", small])  # imports and first-use allocations done
size = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1])
# 80 MB more address space: enough for a Lepton frame, not for a 4-Mpx float64 one (~110 MB).
limit = (size + 80 * 1024) * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(["segment", "--out", out, big, small]))
"""


def test_a_memory_error_on_one_file_skips_it_and_the_next_file_is_segmented(
    frames: dict[str, np.ndarray], tmp_path: Path
) -> None:
    # A real MemoryError: the child's address space is capped, then fed a frame too big for it.
    yy, xx = np.mgrid[0:2048, 0:2048]
    body = ((yy / 2048 - 0.6) ** 2 + (xx / 2048 - 0.5) ** 2) < 0.16
    big = tmp_path / "big.npy"
    np.save(big, np.where(body, 33.0 + (xx % 7) * 0.1, 22.0))  # float64, at the pixel limit
    small = tmp_path / "small.npy"
    np.save(small, frames["abnormal"])
    out = tmp_path / "out"
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", _LOW_MEMORY_CHILD, str(out), str(big), str(small)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 3, done.stderr[-2000:]
    lines = _lines(out)
    assert [line["status"] for line in lines] == ["error", "ok"]
    assert "big.npy: MemoryError" in str(lines[0]["error"])
    assert f"skipped: {big}: MemoryError" in done.stderr


def test_a_broken_labels_jsonl_line_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "labels.jsonl").write_text('{"file": "a.npy"}\n{"file": \n')
    assert main(["evaluate", "--out", str(tmp_path / "out"), str(data)]) == 1
    err = capsys.readouterr().err
    assert "labels.jsonl: line 2" in err and "Traceback" not in err


def test_a_clusters_png_that_cannot_be_written_stops_the_batch_with_a_clear_error(
    frames: dict[str, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As for the mask and overlay PNGs: nothing more can be written, so the run stops there."""
    good = tmp_path / "normal.npy"
    np.save(good, frames["normal"])
    out = tmp_path / "out"
    (out / "normal_clusters.png").mkdir(parents=True)  # a folder in the way of the file
    assert main(["segment", "--segmenter", "codebook", "--out", str(out), str(good)]) == 1
    err = capsys.readouterr().err
    assert "normal_clusters.png: cannot write output" in err and "Traceback" not in err
    assert (out / "normal_mask.png").is_file() and (out / "normal_overlay.png").is_file()
