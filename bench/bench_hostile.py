"""Hostile input files through the reader and the screening path: memory and outcome per file.

Each input (at most 64 MiB on disk) is read by :func:`edge.io.readers.read_frame` and screened by
:func:`edge.core.screening.screen_frame` (codebook segmenter) in a fresh child process, whose
peak RSS is the kernel's ``VmHWM``. Target: every input either processed under
:data:`TARGET_RSS_MB` or refused with a :class:`~edge.errors.FrameError` that names the file;
a crash, another exception or a larger peak misses it. Inputs: files declaring huge
dimensions (PNG, 16-bit PNG, TIFF, JPEG, ``.npy`` headers), long thin arrays, a multi-page TIFF,
a zero-size array, and big valid frames up to the default read limits (4 Mpx) and beyond.

    python -m bench.bench_hostile            # every input (about a minute)
    python -m bench.bench_hostile --quick    # the small files only
"""

from __future__ import annotations

import io
import json
import logging
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import ROOT, bench_main, print_table

__all__ = ["INPUTS", "TARGET_RSS_MB", "run"]

log = logging.getLogger(__name__)

TARGET_RSS_MB = 300.0
MAX_INPUT_BYTES = 64 * 1024 * 1024

_CHILD = """
import json, sys, time
start = time.perf_counter()
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from edge.errors import FrameError
from edge.io.readers import read_frame
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
seg = CodebookSegmenter(CodebookConfig())
cfg = seg.expected_preprocess() or PreprocessConfig()
try:
    frame = read_frame(sys.argv[1])
    decision = screen_frame(frame, seg.segment, cfg, AnalysisConfig())
    result = {"outcome": "processed", "shape": list(frame.shape), "abnormal": decision.abnormal}
except FrameError as exc:
    result = {"outcome": "refused", "message": str(exc)}
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
result["peak_rss_mb"] = int(hwm.split()[1]) / 1024
result["wall_s"] = time.perf_counter() - start
print(json.dumps(result))
"""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_declaring(width: int, height: int, bit_depth: int) -> bytes:
    """A real, complete PNG of zeros at that size when it compresses small; else a few rows."""
    row = b"\x00" * (1 + width * bit_depth // 8)
    packer = zlib.compressobj(9)
    rows = height if width * height * bit_depth // 8 <= 1 << 30 else 4
    idat = b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str, body: bytes = b"") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body


def _tiff_declaring(width: int, height: int) -> bytes:
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 16), (277, 3, 1, 1)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", *entry) for entry in entries
    )
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x00" * 4096


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(_encoded(".jpg", np.zeros((120, 160, 3), np.uint8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _encoded(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    if not ok:
        raise RuntimeError(f"cv2.imencode({ext}) failed")
    return bytes(data.tobytes())


def _multipage_tiff() -> bytes:
    ok, data = cv2.imencodemulti(".tiff", [np.full((120, 160), 30715, np.uint16)] * 3)
    if not ok:
        raise RuntimeError("cv2.imencodemulti failed")
    return bytes(np.asarray(data).tobytes())


def _celsius(h: int, w: int, dtype: type = np.float32) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    body = ((yy / h - 0.6) ** 2 + (xx / w - 0.5) ** 2) < 0.16
    return np.where(body, 33.0 + (xx % 7) * 0.1, 22.0).astype(dtype)


def _dmr_text(h: int, w: int) -> bytes:
    values = np.char.mod("%.2f", _celsius(h, w))
    return ("\n".join(" ".join(row) for row in values) + "\n").encode()


# name -> (quick?, builder of the file's bytes, suffix)
INPUTS: dict[str, tuple[bool, Callable[[], bytes], str]] = {
    "PNG 8-bit declaring 30000x30000": (True, lambda: _png_declaring(30000, 30000, 8), ".png"),
    "PNG 16-bit declaring 30000x30000": (True, lambda: _png_declaring(30000, 30000, 16), ".png"),
    "TIFF declaring 30000x30000": (True, lambda: _tiff_declaring(30000, 30000), ".tiff"),
    "JPEG declaring 60000x60000": (True, lambda: _jpeg_declaring(60000, 60000), ".jpg"),
    ".npy header 1e5x1e5 float64": (True, lambda: _npy_header((100000, 100000), "<f8"), ".npy"),
    ".npy 8x20000 float32": (True, lambda: _npy(_celsius(8, 20000)), ".npy"),
    ".npy 8x2000000 float32 (61 MiB)": (
        False,
        lambda: _npy(np.full((8, 2_000_000), 30.0, np.float32)),
        ".npy",
    ),
    ".npy zero-size (0, 160)": (True, lambda: _npy(np.zeros((0, 160), np.float32)), ".npy"),
    "multi-page TIFF (3 pages)": (True, _multipage_tiff, ".tiff"),
    "Lepton Y16 PNG 160x120": (True, lambda: _encoded(".png", _y16(120, 160)), ".png"),
    "DMR-IR text 640x480": (True, lambda: _dmr_text(480, 640), ".txt"),
    ".npy 256x4096 float32 (aspect 16)": (False, lambda: _npy(_celsius(256, 4096)), ".npy"),
    ".npy 2048x2048 float32 (16 MiB)": (False, lambda: _npy(_celsius(2048, 2048)), ".npy"),
    ".npy 2048x2048 float64 (32 MiB)": (
        False,
        lambda: _npy(_celsius(2048, 2048, np.float64)),
        ".npy",
    ),
    "PNG 16-bit 2048x2048": (False, lambda: _encoded(".png", _y16(2048, 2048)), ".png"),
    "TIFF float 2048x2048 (16 MiB)": (
        False,
        lambda: _encoded(".tiff", _celsius(2048, 2048)),
        ".tiff",
    ),
    "DMR-IR text 2048x2048 (24 MiB)": (False, lambda: _dmr_text(2048, 2048), ".txt"),
    "DMR-IR text, one row of 8M values (23 MiB)": (
        False,
        lambda: b"30 " * 8_000_000 + b"\n",
        ".txt",
    ),
    "DMR-IR text, 24M values in 4096 rows (48 MiB)": (
        False,
        lambda: (b"3 " * 5859 + b"\n") * 4096,
        ".txt",
    ),
    "DMR-IR text, 48M line breaks (48 MiB)": (False, lambda: b"\r\n" * 25_000_000, ".txt"),
    ".npy 4096x4096 float32 (64 MiB)": (False, lambda: _npy(_celsius(4096, 4095)), ".npy"),
}


def _y16(h: int, w: int) -> np.ndarray:
    return np.round((_celsius(h, w) + 273.15) * 100).astype(np.uint16)


def measure(path: Path) -> dict[str, Any]:
    """Read and screen ``path`` in a fresh interpreter: outcome, peak RSS MB, wall s."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"outcome": "crashed", "message": f"exit {done.returncode}: {last}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, (in_quick, build, suffix)) in enumerate(INPUTS.items()):
            if quick and not in_quick:
                continue
            data = build()
            if len(data) > MAX_INPUT_BYTES:
                raise RuntimeError(f"{name}: {len(data)} bytes is over the 64 MiB input bound")
            path = Path(tmp) / f"input{n:02d}{suffix}"
            path.write_bytes(data)
            del data
            row = {"bytes": path.stat().st_size, **measure(path)}
            path.unlink()
            row["meets_target"] = (row["outcome"] == "refused" and path.name in row["message"]) or (
                row["outcome"] == "processed" and row["peak_rss_mb"] < TARGET_RSS_MB
            )
            rows[name] = row
    return {"target_rss_mb": TARGET_RSS_MB, "inputs": rows}


def print_result(result: dict[str, Any]) -> None:
    def detail(row: dict[str, Any]) -> str:
        if row["outcome"] == "processed":
            return f"{row['shape'][1]}x{row['shape'][0]}"
        message = str(row.get("message", ""))
        return message.split(": ", 1)[-1][:90]

    print_table(
        f"Hostile inputs: read + screen in a child process (target: processed under "
        f"{result['target_rss_mb']:.0f} MB peak RSS, or refused with a clear error)",
        ["input", "file KiB", "outcome", "peak RSS MB", "wall s", "target", "detail"],
        [
            [
                name,
                round(row["bytes"] / 1024, 1),
                row["outcome"],
                row.get("peak_rss_mb", float("nan")),
                row.get("wall_s", float("nan")),
                "met" if row["meets_target"] else "MISSED",
                detail(row),
            ]
            for name, row in result["inputs"].items()
        ],
    )


def main() -> None:
    bench_main(__doc__, run, print_result, "the small hostile files only")


if __name__ == "__main__":
    main()
