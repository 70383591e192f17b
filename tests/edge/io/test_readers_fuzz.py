"""Property tests: byte mutations of valid PNG, TIFF, JPEG, .npy and DMR text frames.

Whatever the bytes, the readers answer with a frame or one of the project's own errors
(:class:`~edge.errors.ThermosegError`), never another exception; a frame they do return stays
within the read limits. The budget is bounded (``max_examples``) so it runs in ``make test``;
``bench/bench_hostile.py`` covers memory.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.errors import ThermosegError
from edge.io.limits import ReadLimits
from edge.io.readers import read_frame, read_mask

# Small limits keep every accepted mutant cheap to decode.
LIMITS = ReadLimits(max_pixels=64 * 64, max_side=256, max_file_bytes=1 << 20)


def _encoded(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return bytes(data.tobytes())


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


_rng = np.random.default_rng(0)
SEEDS: dict[str, bytes] = {
    "png16": _encoded(".png", _rng.integers(29000, 31000, (24, 32)).astype(np.uint16)),
    "png8": _encoded(".png", _rng.integers(0, 255, (24, 32, 3)).astype(np.uint8)),
    "tiff16": _encoded(".tiff", _rng.integers(29000, 31000, (24, 32)).astype(np.uint16)),
    "tiff-float": _encoded(".tiff", _rng.uniform(20, 37, (24, 32)).astype(np.float32)),
    "jpeg": _encoded(".jpg", _rng.integers(0, 255, (24, 32, 3)).astype(np.uint8)),
    "npy-f4": _npy(_rng.uniform(20, 37, (24, 32)).astype(np.float32)),
    "npy-u2": _npy(_rng.integers(29000, 31000, (24, 32)).astype(np.uint16)),
    "npy-rgb": _npy(_rng.integers(0, 255, (24, 32, 3)).astype(np.uint8)),
    "dmr-txt": "\n".join(
        " ".join(f"{v:.2f}" for v in row) for row in _rng.uniform(20, 37, (6, 8))
    ).encode(),
}


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "int", "cut", "insert", "delete"]))
        # Headers are where the damage matters most: favour the first 200 bytes.
        at = draw(st.one_of(st.integers(0, min(200, len(data) - 1)), st.integers(0, len(data) - 1)))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "int":  # a header field set to an extreme value
            value = draw(st.sampled_from([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 30000]))
            fmt = draw(st.sampled_from(["<I", ">I", "<H", ">H"]))
            packed = struct.pack(fmt, value & (0xFFFF if fmt.endswith("H") else 0xFFFFFFFF))
            data[at : at + len(packed)] = packed
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 16))]
        if not data:
            break
    return bytes(data)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants())
def test_mutated_frame_files_give_a_frame_or_a_project_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutant"
        path.write_bytes(data)
        for read in (read_frame, read_mask):
            try:
                result = read(path, limits=LIMITS)
            except ThermosegError as exc:
                assert "mutant" in str(exc)  # names the file
                continue
            shape = result.shape if isinstance(result, np.ndarray) else result.pixels.shape
            assert shape[0] * shape[1] <= LIMITS.max_pixels
            assert max(shape[:2]) <= LIMITS.max_side


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2**40),
    st.integers(0, 2**40),
    st.sampled_from(["<f8", "<f4", ">f4", "<u2", "|u1", "|b1", "<c16", "|O", "<i8", "|V8"]),
    st.booleans(),
)
def test_any_npy_header_shape_and_dtype_is_read_or_refused(
    rows: int, cols: int, descr: str, fortran: bool
) -> None:
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({rows}, {cols}), }}"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.npy"
        path.write_bytes(data + b"\x00" * min(rows * cols * 8, 4096))
        for read in (read_frame, read_mask):
            try:
                read(path, limits=LIMITS)
            except ThermosegError as exc:
                assert "claims.npy" in str(exc)
