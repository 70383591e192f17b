"""Hostile frame files: sizes are refused from the header, before anything is allocated.

Each file here is small but declares a huge, empty, long-thin or multi-page image, or has a
broken header; the reader must answer with a FrameError naming the file, the declared value and
the bound, within bounded memory (peak RSS measured in a child process).
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import FrameError
from edge.io._headers import _NPY_MAX_HEADER, _npy_header_bytes
from edge.io.limits import ReadLimits
from edge.io.readers import read_frame, read_mask

ROOT = Path(__file__).resolve().parents[3]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, bit_depth: int = 8) -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height`` grey; only a few rows of data follow."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * (width * bit_depth // 8)
    idat = zlib.compress(row * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def npy_declaring(shape: tuple[int, ...], descr: str = "<f8", body: bytes = b"") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body


def tiff_declaring(width: int, height: int, next_ifd: int = 0) -> bytes:
    """A little-endian classic TIFF with one IFD (width, height, 16 bits, 1 sample)."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 16), (277, 3, 1, 1)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    ifd += struct.pack("<I", next_ifd)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 64


def peak_rss_mb_of_reading(path: Path) -> tuple[str, float]:
    """Read ``path`` in a fresh interpreter: (outcome, peak RSS in MB from /proc VmHWM)."""
    code = (
        "import sys\n"
        "from edge.errors import FrameError\n"
        "from edge.io.readers import read_frame\n"
        "try:\n"
        "    read_frame(sys.argv[1]); outcome = 'read'\n"
        "except FrameError as exc:\n"
        "    outcome = 'FrameError: ' + str(exc)\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(outcome); print(int(hwm.split()[1]) / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome, peak = done.stdout.strip().rsplit("\n", 1)
    return outcome, float(peak)


def test_a_small_png_declaring_30000_squared_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(30000, 30000))
    assert path.stat().st_size < 1_000_000
    outcome, peak_mb = peak_rss_mb_of_reading(path)
    assert outcome.startswith("FrameError: ") and "bomb.png" in outcome
    assert "30000x30000" in outcome and "max_side" in outcome
    assert peak_mb < 250  # the 900 MB image was never allocated


def test_a_16_bit_png_declaring_30000_squared_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "bomb16.png"
    path.write_bytes(png_declaring(30000, 30000, bit_depth=16))
    with pytest.raises(FrameError, match=r"bomb16\.png: the PNG header declares 30000x30000"):
        read_frame(path)


def test_an_npy_header_claiming_1e5_squared_float64_is_refused_without_allocating(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(npy_declaring((100_000, 100_000)))
    outcome, peak_mb = peak_rss_mb_of_reading(path)
    assert outcome.startswith("FrameError: ") and "huge.npy" in outcome
    assert "(100000, 100000)" in outcome and "max_side" in outcome
    assert peak_mb < 250


def test_a_long_thin_npy_of_8_by_2_million_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "thin.npy"
    path.write_bytes(npy_declaring((8, 2_000_000), "<f4", b"\x00" * 1024))
    with pytest.raises(FrameError, match=r"thin\.npy: .* 2000000x8 pixels.*max_side"):
        read_frame(path)


def test_a_long_thin_but_small_array_is_refused_by_its_aspect(tmp_path: Path) -> None:
    path = tmp_path / "strip.npy"
    np.save(path, np.full((8, 2000), 30.0, np.float32))
    with pytest.raises(FrameError, match=r"strip\.npy: .*2000x8 pixels, an aspect of 250:1"):
        read_frame(path)


@pytest.mark.parametrize("shape", [(0, 10), (10, 0), (0, 0)])
def test_a_zero_size_array_is_a_frame_error_naming_the_file(
    tmp_path: Path, shape: tuple[int, int]
) -> None:
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros(shape, np.float32))
    with pytest.raises(FrameError, match=r"empty\.npy: .*expected a non-empty frame"):
        read_frame(path)


@pytest.mark.parametrize(
    "header",
    [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 10",  # unterminated: TokenError
        "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 10)))}",  # SyntaxError
        "{'descr': '<f4', 'fortran_order': False}",  # a key missing
        "{'descr': 'not a dtype', 'fortran_order': False, 'shape': (2, 2)}",
        "[1, 2, 3]",
    ],
)
def test_a_broken_npy_header_is_a_frame_error(tmp_path: Path, header: str) -> None:
    text = header + " " * (63 - (len(header) + 10) % 64) + "\n"
    path = tmp_path / "broken.npy"
    path.write_bytes(
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + b"\x00" * 400
    )
    with pytest.raises(FrameError, match=r"broken\.npy: "):
        read_frame(path)
    with pytest.raises(FrameError, match=r"broken\.npy: "):
        read_mask(path)


def test_an_npy_whose_data_does_not_match_its_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.npy"
    path.write_bytes(npy_declaring((120, 160), "<f4", b"\x00" * 100))
    with pytest.raises(FrameError, match=r"short\.npy: .*\(76800 bytes\) but 100 bytes follow"):
        read_frame(path)


def test_an_object_npy_is_refused_by_dtype(tmp_path: Path) -> None:
    path = tmp_path / "obj.npy"
    path.write_bytes(npy_declaring((2, 2), "|O", b"\x00" * 32))
    with pytest.raises(FrameError, match=r"obj\.npy: \.npy holds object"):
        read_frame(path)


def test_a_tiff_declaring_huge_dimensions_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "huge.tiff"
    path.write_bytes(tiff_declaring(30000, 30000))
    with pytest.raises(FrameError, match=r"huge\.tiff: the TIFF header declares 30000x30000"):
        read_frame(path)


def test_a_tiff_whose_directory_runs_past_the_end_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.tiff"
    path.write_bytes(tiff_declaring(160, 120)[:20])
    with pytest.raises(FrameError, match=r"cut\.tiff: TIFF .*(truncated|past the end)"):
        read_frame(path)


def test_a_multi_page_tiff_is_refused_not_silently_read_as_page_one(tmp_path: Path) -> None:
    path = tmp_path / "pages.tiff"
    pages = [np.full((120, 160), 30000 + 100 * i, np.uint16) for i in range(3)]
    assert cv2.imwritemulti(str(path), pages)
    with pytest.raises(FrameError, match=r"pages\.tiff: multi-page TIFF .*one frame per file"):
        read_frame(path)


def test_a_jpeg_declaring_huge_dimensions_is_refused(tmp_path: Path) -> None:
    _, encoded = cv2.imencode(".jpg", np.zeros((120, 160, 3), np.uint8))
    data = bytearray(encoded.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    path = tmp_path / "huge.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(FrameError, match=r"huge\.jpg: the JPEG header declares 60000x60000"):
        read_frame(path)


def test_a_text_matrix_wider_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes((" ".join(["30.0"] * 5000) + "\n").encode() * 2)
    with pytest.raises(FrameError, match=r"wide\.txt: the temperature matrix declares 5000x2"):
        read_frame(path)


def test_a_file_larger_than_max_file_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.npy"
    np.save(path, np.full((120, 160), 30.0, np.float32))
    with pytest.raises(FrameError, match=r"big\.npy: file is 76928 bytes; .*max_file_bytes"):
        read_frame(path, limits=ReadLimits(max_file_bytes=10_000))


def test_a_stream_whose_size_is_unknown_is_read_only_to_one_byte_over_the_limit() -> None:
    # A character device reports size 0 and never ends: what was read past the size fstat
    # gave must still stop at the limit and be refused.
    with pytest.raises(FrameError, match=r"/dev/zero: file is 10001 bytes; .*max_file_bytes"):
        read_frame("/dev/zero", limits=ReadLimits(max_file_bytes=10_000))


def test_the_defaults_pass_a_dmr_frame_and_a_lepton_frame(tmp_path: Path) -> None:
    dmr = tmp_path / "dmr.txt"
    dmr.write_bytes(("\n".join(" ".join(["33.25"] * 640) for _ in range(480)) + "\n").encode())
    assert read_frame(dmr).shape == (480, 640)
    lepton = tmp_path / "lepton.png"
    assert cv2.imwrite(str(lepton), np.full((120, 160), 30715, np.uint16))
    assert read_frame(lepton).shape == (120, 160)


def test_a_configured_limit_is_applied_and_named(tmp_path: Path) -> None:
    path = tmp_path / "dmr.npy"
    np.save(path, np.full((480, 640), 33.0, np.float32))
    with pytest.raises(FrameError, match=r"307200 pixels; expected at most 100000"):
        read_frame(path, limits=ReadLimits(max_pixels=100_000))


def test_an_npy_file_is_read_once(tmp_path: Path) -> None:
    # A named pipe hands its bytes over once: a second open would wait for a writer forever.
    fifo = tmp_path / "once.npy"
    os.mkfifo(fifo)
    values = np.full((12, 16), 31.5, np.float32)
    payload = npy_declaring((12, 16), "<f4", values.tobytes())
    code = (
        "import sys\nfrom edge.io.readers import read_frame\n"
        "print(float(read_frame(sys.argv[1]).pixels.mean()))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(fifo)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    writer = threading.Thread(target=lambda: fifo.write_bytes(payload))
    writer.start()
    try:
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            with open(fifo, "wb"):  # release the writer thread
                pass
        writer.join()
    assert child.returncode == 0 and float(out) == 31.5


# --- .npy format versions ---------------------------------------------------------------------


def _npy_of_version(array: np.ndarray, version: tuple[int, int]) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, version=version)
    return stream.getvalue()


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_an_npy_of_every_version_numpy_writes_is_read_as_numpy_reads_it(
    tmp_path: Path, version: tuple[int, int]
) -> None:
    celsius = np.linspace(30.0, 36.0, 12 * 16, dtype=np.float32).reshape(12, 16)
    frame_path = tmp_path / "frame.npy"
    frame_path.write_bytes(_npy_of_version(celsius, version))
    assert frame_path.read_bytes()[6:8] == bytes(version)
    np.testing.assert_array_equal(read_frame(frame_path).pixels, np.load(frame_path))
    mask = (celsius > 33.0).astype(np.uint8)
    mask_path = tmp_path / "mask.npy"
    mask_path.write_bytes(_npy_of_version(mask, version))
    np.testing.assert_array_equal(read_mask(mask_path), mask)


def test_an_npy_of_an_unknown_version_is_refused_naming_the_version(tmp_path: Path) -> None:
    data = bytearray(_npy_of_version(np.zeros((8, 8), np.float32), (2, 0)))
    data[6:8] = b"\x04\x00"
    path = tmp_path / "v4.npy"
    path.write_bytes(bytes(data))
    with pytest.raises(FrameError, match=r"v4\.npy: .*version 4\.0; expected 1\.0, 2\.0 or 3\.0"):
        read_frame(path)


@pytest.mark.parametrize(
    "data",
    [
        b"\x93NUMPY\x04\x00" + b"\x00" * 1_000_000,  # unknown version
        b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31) + b" " * 1_000_000,  # huge length
        b"\x93NUMPY\x03\x00" + struct.pack("<I", 2**31) + b" " * 1_000_000,
    ],
)
def test_the_npy_header_cache_key_is_a_bounded_prefix_whatever_the_file_declares(
    data: bytes,
) -> None:
    head = _npy_header_bytes(data)
    assert data.startswith(head)
    assert len(head) <= 12 + _NPY_MAX_HEADER


def test_an_npy_header_longer_than_the_bound_is_refused_naming_its_length(tmp_path: Path) -> None:
    path = tmp_path / "long.npy"
    path.write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", 50_000) + b" " * 60_000)
    with pytest.raises(FrameError, match=r"long\.npy: .*header of 50000 bytes; at most 10000"):
        read_frame(path)


def test_a_version_3_npy_of_a_structured_array_with_utf8_field_names_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fields.npy"
    path.write_bytes(_npy_of_version(np.zeros((4, 4), dtype=[("Δt", "<f4")]), (3, 0)))
    with pytest.raises(FrameError, match=r"fields\.npy: .*structured array"):
        read_frame(path)
