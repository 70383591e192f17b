"""The frame's own median gives numpy's ``np.median`` bits (body baseline, chest width, sides)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core._delta_t import side_median
from edge.core._median import masked_median, median
from edge.core.roi import BreastROI, find_roi, find_roi_and_levels
from edge.phantom import generate


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_median_equals_numpy_median_bit_for_bit(dtype: type) -> None:
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 4, 5, 10, 11, 64, 301, 4000, 13117]:
        for _ in range(20):
            if dtype is np.int64:
                values = rng.integers(-500, 500, n).astype(dtype)
            else:  # half-degree steps make ties and exact midpoints common
                values = (np.round(rng.normal(33.0, 3.0, n) * 2) / 2).astype(dtype)
                values[::3] += rng.normal(0.0, 0.01, values[::3].size).astype(dtype)
            assert median(values) == float(np.median(values)), (n, dtype)


def test_median_leaves_its_input_alone() -> None:
    values = np.array([3.0, 1.0, 2.0, 0.5], dtype=np.float32)
    assert median(values) == 1.5
    assert values.tolist() == [3.0, 1.0, 2.0, 0.5]


@pytest.mark.parametrize("decimals", [None, 2, 1, 0])  # ties: values repeat within a level
def test_masked_median_equals_numpy_median_of_the_masked_pixels(decimals: int | None) -> None:
    rng = np.random.default_rng(17 if decimals is None else decimals)
    for _ in range(300):
        h, w = int(rng.integers(8, 121)), int(rng.integers(8, 161))
        frame = rng.normal(30.0, 3.0, (h, w)) + (rng.random((h, w)) < 0.5) * 8.0
        frame = (frame if decimals is None else np.round(frame, decimals)).astype(np.float32)
        mask = rng.random((h, w)) < rng.uniform(0.001, 1.0)
        mask[int(rng.integers(h)), int(rng.integers(w))] = True
        assert masked_median(frame, mask) == float(np.median(frame[mask]))


@pytest.mark.parametrize("family", ["a", "b", "c", "d"])
@pytest.mark.parametrize("view", ["closeup", "wide"])
def test_the_body_median_from_the_roi_levels_equals_numpy_median_of_the_body(
    family: str, view: str
) -> None:
    for i in range(6):
        celsius = generate(5, i, family=family, view=view).celsius
        roi, levels = find_roi_and_levels(celsius)
        assert levels is not None  # the body was split by Otsu on these levels
        assert roi.box == find_roi(celsius).box
        expected = float(np.median(celsius[roi.body]))
        assert masked_median(celsius, roi.body, levels) == expected
        assert masked_median(celsius, roi.body) == expected


def test_masked_median_of_a_flat_frame_is_its_value() -> None:
    frame = np.full((10, 12), 31.25, dtype=np.float32)
    assert masked_median(frame, frame > 0) == 31.25


def _side_medians_by_frame_masks(celsius: np.ndarray, roi: BreastROI) -> dict[str, float | None]:
    xs = np.arange(celsius.shape[1])
    inside = roi.mask > 0
    left = inside & (xs < roi.midline_x)[None, :]
    right = inside & (xs >= roi.midline_x)[None, :]
    return {
        "left": float(np.median(celsius[left])) if left.any() else None,
        "right": float(np.median(celsius[right])) if right.any() else None,
    }


@pytest.mark.parametrize("family", ["a", "b"])
@pytest.mark.parametrize("view", ["closeup", "wide"])
def test_side_medians_match_whole_frame_masks_on_phantoms(family: str, view: str) -> None:
    for index in range(6):
        celsius = generate(5, index, family=family, view=view).celsius
        roi = find_roi(celsius)
        assert {
            side: side_median(celsius, roi, side) for side in ("left", "right")
        } == _side_medians_by_frame_masks(celsius, roi)


def test_side_medians_search_the_whole_frame_when_the_roi_leaves_its_box() -> None:
    celsius = np.arange(40 * 40, dtype=np.float32).reshape(40, 40)
    mask = np.zeros((40, 40), dtype=np.uint8)
    mask[5:30, 2:38] = 1
    body = np.ones((40, 40), dtype=bool)
    roi = BreastROI(mask, body, 19.5, (10, 10, 30, 20), "closeup", 30.0)  # box inside the mask
    assert {
        side: side_median(celsius, roi, side) for side in ("left", "right")
    } == _side_medians_by_frame_masks(celsius, roi)
