"""Frames parsed from ``.npy`` bytes equal what ``np.load`` gives, and faults still raise."""

from __future__ import annotations

import io

import numpy as np
import pytest

from edge.io._npy import load_npy

_RNG = np.random.default_rng(0)
ARRAYS = {
    "celsius": _RNG.normal(30.0, 3.0, (120, 160)).astype(np.float32),
    "y16": _RNG.integers(0, 65535, (120, 160)).astype(np.uint16),
    "rgb": _RNG.integers(0, 255, (64, 48, 3)).astype(np.uint8),
    "fortran": np.asfortranarray(_RNG.normal(size=(30, 20))),
    "big-endian": _RNG.normal(size=(5, 4)).astype(">f4"),
    "empty": np.zeros((0, 3)),
    "scalar": np.array(3.5),
}


def _npy(array: np.ndarray, version: tuple[int, int]) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, version=version)
    return stream.getvalue()


@pytest.mark.parametrize("name", list(ARRAYS))
@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_bytes_load_like_np_load(name: str, version: tuple[int, int]) -> None:
    data = _npy(ARRAYS[name], version)
    expected = np.load(io.BytesIO(data), allow_pickle=False)
    got = load_npy(data)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.flags.f_contiguous == expected.flags.f_contiguous
    np.testing.assert_array_equal(got, expected)
    got[...] = 0  # writable and its own memory: the bytes are untouched
    np.testing.assert_array_equal(load_npy(data), expected)


def test_truncated_npy_bytes_raise_like_np_load() -> None:
    data = _npy(ARRAYS["celsius"], (1, 0))[:-100]
    with pytest.raises(ValueError, match="EOF"):
        load_npy(data)


def test_object_npy_bytes_are_refused_like_np_load() -> None:
    data = _npy(np.array([{"a": 1}], dtype=object), (1, 0))
    with pytest.raises(ValueError, match="allow_pickle"):
        load_npy(data)
