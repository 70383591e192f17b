"""``.npy`` bytes to an array, with the header's parse cached: a camera's or a replay's frames
all carry the same header, and numpy parses it with ``ast.literal_eval`` (about half of
``np.load`` on a 160×120 frame)."""

from __future__ import annotations

import functools
import io
import math

import numpy as np

__all__ = ["load_npy"]

_MAGIC = b"\x93NUMPY"


@functools.lru_cache(maxsize=16)
def _header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) of a complete header (magic included)."""
    stream = io.BytesIO(head)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    return tuple(shape), bool(fortran), dtype


def load_npy(data: bytes) -> np.ndarray:
    """``np.load(io.BytesIO(data), allow_pickle=False)``: the same array (writable, its own
    memory); anything unusual (object arrays, short data, unknown versions) goes to np.load
    itself, which raises what it raises."""
    if data[:6] == _MAGIC and len(data) >= 12 and data[6] in (1, 2, 3) and data[7] == 0:
        size = 2 if data[6] == 1 else 4
        end = 8 + size + int.from_bytes(data[8 : 8 + size], "little")
        if data[6] != 3:  # version 3 differs only in the header's text encoding (utf-8)
            try:
                shape, fortran, dtype = _header(data[:end])
            except ValueError:
                shape, fortran, dtype = (), False, np.dtype(object)  # np.load will raise
            count = math.prod(shape)
            if not dtype.hasobject and len(data) - end >= count * dtype.itemsize:
                flat = np.frombuffer(data, dtype=dtype, count=count, offset=end)
                if fortran:
                    return flat.reshape(shape[::-1]).transpose().copy(order="K")
                return flat.reshape(shape).copy()
    array: np.ndarray = np.load(io.BytesIO(data), allow_pickle=False)
    return array
