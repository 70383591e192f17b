"""The ROI's body is the largest 8-connected part of the warm pixels with its holes filled."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.core.roi import _largest_filled


def _largest_filled_by_labels(body: np.ndarray) -> np.ndarray:
    """The plain reading: label, keep the largest part, fill what the border cannot reach."""
    n, labels = cv2.connectedComponents(body.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if n <= 1:
        return body
    area = np.bincount(labels.ravel(), minlength=n)
    part = (labels == 1 + int(np.argmax(area[1:]))).astype(np.uint8)
    flood = np.pad(part, 1)
    cv2.floodFill(flood, None, (0, 0), 1)
    return (part > 0) | (flood[1:-1, 1:-1] == 0)


@pytest.mark.parametrize("density", [0.0, 0.3, 0.5, 0.62, 0.8, 1.0])
def test_largest_filled_keeps_the_largest_part_and_fills_its_holes(density: float) -> None:
    rng = np.random.default_rng(int(density * 100))
    for _ in range(60):
        h, w = int(rng.integers(8, 60)), int(rng.integers(8, 80))
        body = rng.random((h, w)) < density
        got = _largest_filled(body)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, _largest_filled_by_labels(body))


def test_a_ring_is_filled_and_a_smaller_blob_dropped() -> None:
    body = np.zeros((30, 40), dtype=bool)
    body[5:20, 5:20] = True
    body[9:16, 9:16] = False  # a hole
    body[24:27, 30:33] = True  # a smaller part
    got = _largest_filled(body)
    assert got[5:20, 5:20].all() and not got[24:27, 30:33].any()
    assert int(got.sum()) == 15 * 15
