"""Labelling only the part of a mask that holds regions gives the whole frame's components."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.imaging import components, components_in_bounds


def _blobs(rng: np.random.Generator, h: int, w: int, count: int) -> np.ndarray:
    mask = np.zeros((h, w), dtype=np.uint8)
    for _ in range(count):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        dy, dx = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        mask[y : y + dy, x : x + dx] = 1
    mask[rng.random((h, w)) < 0.01] = 1  # single pixels and diagonal neighbours
    return mask


@pytest.mark.parametrize("count", [1, 3, 12])
def test_components_in_bounds_equal_the_whole_frames_bit_for_bit(count: int) -> None:
    rng = np.random.default_rng(count)
    for _ in range(150):
        h, w = int(rng.integers(8, 121)), int(rng.integers(8, 161))
        mask = _blobs(rng, h, w, count)
        n, labels, stats, centroids = components(mask)
        m, part, part_stats, part_centroids, (ox, oy) = components_in_bounds(mask)
        assert m == n
        whole = np.zeros_like(labels)
        whole[oy : oy + part.shape[0], ox : ox + part.shape[1]] = part
        np.testing.assert_array_equal(whole, labels)
        np.testing.assert_array_equal(part_stats[1:], stats[1:])
        assert part_centroids[1:].tobytes() == centroids[1:].tobytes()


def test_a_region_at_an_odd_offset_keeps_its_frame_coordinates() -> None:
    mask = np.zeros((40, 50), dtype=np.uint8)
    mask[13:16, 27:31] = 1
    n, part, stats, centroids, origin = components_in_bounds(mask)
    assert n == 2 and origin == (26, 12) and part.shape == (4, 5)
    assert stats[1].tolist() == [27, 13, 4, 3, 12]
    assert centroids[1].tolist() == [28.5, 14.0]
