"""Image sizes read from file headers (PNG IHDR, TIFF IFD, JPEG SOF, .npy), before decoding.

Each function raises :class:`~edge.errors.FrameError` naming the file and the field at fault
when the header is broken, and leaves size policy to :mod:`edge.io.limits`.
"""

from __future__ import annotations

import functools
import io
import struct
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import FrameError
from edge.io.limits import ReadLimits, check_dims

__all__ = ["NpyContent", "check_image_header", "read_npy_bytes"]

# Bounded: a header a few hundred bytes long is all a frame needs.
_NPY_MAX_HEADER = 10_000
# numpy's .npy versions: bytes of the little-endian header-length field (3.0 is 2.0's layout
# with a utf-8 header text; 1.0 and 2.0 use latin-1).
_NPY_VERSIONS = {(1, 0): 2, (2, 0): 4, (3, 0): 4}
_NPY_PREFIX = 12  # magic (6), version (2), the longest length field (4)


@dataclass(frozen=True)
class NpyContent:
    """What a reader accepts in a ``.npy`` file, checked from the header before any allocation.

    ``kinds``: numpy's one-letter dtype kinds; ``channels``: the lengths a third axis may have
    (empty: 2-D only); ``expected``: the same in words, for the error naming the file."""

    kinds: str
    channels: tuple[int, ...]
    expected: str


def _png_dims(path: Path, data: bytes) -> tuple[int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise FrameError(f"{path}: PNG without an IHDR chunk first; expected a valid PNG header")
    width, height = struct.unpack(">II", data[16:24])
    return height, width


def _jpeg_dims(path: Path, data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            raise FrameError(f"{path}: JPEG marker expected at byte {i}; corrupt header")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xD9, 0xDA):
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return height, width
        i += 2 + length
    raise FrameError(f"{path}: JPEG without a frame header (SOF) before the image data")


def _tiff_dims(path: Path, data: bytes) -> tuple[int, int, int]:
    """(height, width, samples per pixel) of the only page; multi-page TIFFs are refused."""
    order = "<" if data[:2] == b"II" else ">"
    big = struct.unpack(order + "H", data[2:4])[0] == 43
    try:
        if big:
            (ifd,) = struct.unpack(order + "Q", data[8:16])
            (count,) = struct.unpack(order + "Q", data[ifd : ifd + 8])
            head, entry, value_at, next_fmt = 8, 20, 12, "Q"
        else:
            (ifd,) = struct.unpack(order + "I", data[4:8])
            (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
            head, entry, value_at, next_fmt = 2, 12, 8, "I"
        end = ifd + head + count * entry
        if ifd < 8 or end + struct.calcsize(next_fmt) > len(data):
            raise FrameError(
                f"{path}: TIFF directory at byte {ifd} with {count} entries runs past the end "
                f"of the {len(data)}-byte file (truncated or corrupt)"
            )
        tags: dict[int, int] = {}
        for k in range(int(count)):
            at = ifd + head + k * entry
            tag, kind = struct.unpack(order + "HH", data[at : at + 4])
            fmt = {3: "H", 4: "I", 16: "Q"}.get(kind)
            if tag in (256, 257, 277) and fmt is not None:
                start = at + value_at
                (tags[tag],) = struct.unpack(
                    order + fmt, data[start : start + struct.calcsize(fmt)]
                )
        (next_ifd,) = struct.unpack(order + next_fmt, data[end : end + struct.calcsize(next_fmt)])
    except struct.error as exc:
        raise FrameError(f"{path}: TIFF header truncated or corrupt: {exc}") from exc
    if 256 not in tags or 257 not in tags:
        raise FrameError(
            f"{path}: TIFF directory lacks ImageWidth/ImageLength; expected a valid TIFF header"
        )
    if next_ifd != 0:
        raise FrameError(
            f"{path}: multi-page TIFF (another page at byte {next_ifd}); expected one frame per "
            "file: save each page as its own file"
        )
    return tags[257], tags[256], tags.get(277, 1)


def check_image_header(path: Path, data: bytes, container: str, limits: ReadLimits) -> None:
    """Refuse an image whose header is broken or declares more than ``limits`` allow."""
    if container == "png":
        height, width = _png_dims(path, data)
    elif container == "jpeg":
        height, width = _jpeg_dims(path, data)
    else:
        height, width, samples = _tiff_dims(path, data)
        if not 1 <= samples <= 4:
            raise FrameError(
                f"{path}: TIFF declares {samples} samples per pixel; expected 1 (grey/Y16/°C), "
                "3 (RGB) or 4 (RGBA)"
            )
    check_dims(path, height, width, limits, f"the {container.upper()} header")


def _npy_header_bytes(data: bytes) -> bytes:
    """The magic and header of a ``.npy`` file: a bounded prefix of ``data`` whatever the file
    declares (it is a cache key), at most the magic, length field and ``_NPY_MAX_HEADER``."""
    if len(data) >= 8 and data[:6] == b"\x93NUMPY":
        field = _NPY_VERSIONS.get((data[6], data[7]))
        if field is not None:
            declared = int.from_bytes(data[8 : 8 + field], "little")
            return data[: 8 + field + min(declared, _NPY_MAX_HEADER)]
    return data[:_NPY_PREFIX]


def _read_header_3_0(
    head: bytes, length: int
) -> tuple[tuple[int, ...], bool, np.dtype[np.generic]]:
    """A 3.0 header: numpy's 2.0 layout with the text in utf-8 instead of latin-1 (numpy's
    ``_read_array_header`` differs by that encoding only). numpy exports no 3.0 reader, so the
    text is decoded as numpy does and handed to its 2.0 reader."""
    text = head[12 : 12 + length].decode("utf-8")
    try:
        latin = text.encode("latin1")
    except UnicodeEncodeError:
        # Only a structured dtype's field names can need utf-8; no frame or mask has fields.
        raise ValueError(
            "format 3.0 header names fields outside latin-1 (a structured array); expected "
            "a plain numeric array"
        ) from None
    stream = io.BytesIO(struct.pack("<I", len(latin)) + latin)
    return np.lib.format.read_array_header_2_0(stream, _NPY_MAX_HEADER)


@functools.lru_cache(maxsize=16)
def _npy_header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype[np.generic], int]:
    """Shape, Fortran order, dtype and data offset of a ``.npy`` header; a camera's frames
    share one header, parsed once (numpy parses it with ``ast``: the costliest step of a read).
    Errors propagate (they are not cached)."""
    stream = io.BytesIO(head)
    version = np.lib.format.read_magic(stream)
    field = _NPY_VERSIONS.get(version)
    if field is None:
        raise ValueError(f"format version {version[0]}.{version[1]}; expected 1.0, 2.0 or 3.0")
    length = int.from_bytes(head[8 : 8 + field], "little")
    if length > _NPY_MAX_HEADER:
        raise ValueError(f"header of {length} bytes; at most {_NPY_MAX_HEADER} expected")
    if len(head) < 8 + field + length:
        raise ValueError(
            f"header of {length} bytes but the file ends after {max(len(head) - 8 - field, 0)}"
        )
    if version == (1, 0):
        header = np.lib.format.read_array_header_1_0(stream, _NPY_MAX_HEADER)
    elif version == (2, 0):
        header = np.lib.format.read_array_header_2_0(stream, _NPY_MAX_HEADER)
    else:
        header = _read_header_3_0(head, length)
    shape, fortran, dtype = header
    return tuple(shape), bool(fortran), dtype, 8 + field + length


def read_npy_bytes(path: Path, data: bytes, limits: ReadLimits, content: NpyContent) -> np.ndarray:
    """The array of a ``.npy`` file already in memory; header, dtype kind and shape checked
    against ``content`` and ``limits`` before any allocation."""
    try:
        shape, fortran, dtype, offset = _npy_header(_npy_header_bytes(data))
    except (
        ValueError,
        SyntaxError,
        tokenize.TokenError,
        TypeError,
        EOFError,
        OverflowError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise FrameError(f"{path}: not a readable .npy header (corrupt): {exc}") from None
    plain = dtype.names is None and dtype.subdtype is None
    if not plain or dtype.kind not in content.kinds:
        raise FrameError(f"{path}: .npy holds {dtype}; expected {content.expected}")
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in content.channels):
        raise FrameError(f"{path}: .npy holds {dtype} {shape}; expected {content.expected}")
    check_dims(path, int(shape[0]), int(shape[1]), limits, f".npy {dtype} {shape}")
    count = int(np.prod(shape))
    if len(data) - offset != count * dtype.itemsize:
        raise FrameError(
            f"{path}: .npy header declares {dtype} {shape} ({count * dtype.itemsize} bytes) but "
            f"{len(data) - offset} bytes follow it (truncated or corrupt)"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    array = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    # A native-order copy: independent of ``data`` and writable.
    return np.array(array, dtype=dtype.newbyteorder("="), order="C", copy=True)
