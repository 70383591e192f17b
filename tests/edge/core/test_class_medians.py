"""The body/room medians behind the skin-or-room check equal ``np.median`` of each class."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.core._median import class_medians
from edge.core.imaging import SKIN_ROOM_GAP_C, _room_is_skin


@pytest.mark.parametrize("decimals", [None, 1, 0])  # ties: values repeat within a level
def test_class_medians_equal_numpy_medians_of_an_otsu_split(decimals: int | None) -> None:
    rng = np.random.default_rng(7 if decimals is None else decimals)
    checked = 0
    for _ in range(300):
        h, w = int(rng.integers(8, 130)), int(rng.integers(8, 170))
        warm = rng.random((h, w)) < rng.uniform(0.05, 0.95)
        c = rng.normal(25.0, 3.0, (h, w)) + warm * rng.uniform(0.0, 12.0)
        c = (c if decimals is None else np.round(c, decimals)).astype(np.float32)
        lo, hi = float(c.min()), float(c.max())
        scaled = ((c - lo) * (255.0 / (hi - lo))).astype(np.uint8)
        threshold, fg = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        body = np.asarray(fg, dtype=bool)
        if body.all() or not body.any():
            continue
        expected = (float(np.median(c[~body])), float(np.median(c[body])))
        assert class_medians(c, scaled, int(threshold)) == expected
        checked += 1
    assert checked > 250


def test_room_or_skin_from_the_level_histogram_is_the_exact_medians_answer() -> None:
    """Gaps between the classes' medians from far apart to within a level of the 5 °C cut."""
    rng = np.random.default_rng(11)
    near_cut = 0
    for trial in range(400):
        h, w = int(rng.integers(8, 130)), int(rng.integers(8, 170))
        warm = rng.random((h, w)) < rng.uniform(0.2, 0.8)
        gap = SKIN_ROOM_GAP_C + (rng.uniform(-0.05, 0.05) if trial % 2 else rng.uniform(-4, 4))
        spread = rng.uniform(0.05, 1.5)
        c = (rng.normal(22.0, spread, (h, w)) + warm * gap).astype(np.float32)
        lo, hi = float(c.min()), float(c.max())
        scaled = ((c - lo) * (255.0 / (hi - lo))).astype(np.uint8)
        threshold, fg = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        body = np.asarray(fg, dtype=bool)
        if body.all() or not body.any():
            continue
        room, skin = float(np.median(c[~body])), float(np.median(c[body]))
        expected = room > skin - SKIN_ROOM_GAP_C
        assert _room_is_skin(c, scaled, int(threshold), (hi - lo) / 255.0) == expected
        near_cut += abs(skin - room - SKIN_ROOM_GAP_C) < 0.05
    assert near_cut > 50
