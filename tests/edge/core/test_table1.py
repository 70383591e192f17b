"""Grades after the paper's Table 1 (size in mm, full red breast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge.core.table1 import region_sizes_mm, table1_grade


def disc(radius: float, centre: tuple[int, int] = (40, 40), size: int = 80) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return (((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) <= radius**2).astype(np.uint8)


def test_size_is_the_equivalent_circle_diameter_in_millimetres() -> None:
    square = np.zeros((20, 20), np.uint8)
    square[2:12, 2:12] = 1  # 100 px
    (size,) = region_sizes_mm(square, mm_per_px=0.5)
    assert size == pytest.approx(2 * math.sqrt(100 / math.pi) * 0.5)


def test_no_region_is_none_and_a_small_spot_is_initial() -> None:
    assert table1_grade(np.zeros((80, 80), np.uint8), 1.0).grade == "none"
    spot = disc(3)  # about 7 px across at 1 mm/px
    assert table1_grade(spot, 1.0).grade == "initial"


def test_a_region_of_10_mm_or_more_is_middle_and_the_scale_decides() -> None:
    region = disc(6)  # about 12-13 px across
    assert table1_grade(region, mm_per_px=1.0).grade == "middle"
    assert table1_grade(region, mm_per_px=0.5).grade == "initial"
    assert table1_grade(region, mm_per_px=0.5, middle_size_mm=5.0).grade == "middle"


def test_advanced_needs_a_full_red_breast_not_spots_on_both_sides() -> None:
    left, right = disc(15, (40, 20)), disc(15, (40, 60))
    spots = disc(2, (40, 20)) | disc(2, (40, 60))
    assert table1_grade(spots, 1.0, [left, right]).grade == "initial"
    result = table1_grade(left | spots, 1.0, [left, right])
    assert result.grade == "advanced"
    assert result.breast_red_fractions[0] == pytest.approx(1.0)
    nearly = left.copy()
    nearly[25:40, 5:35] = 0  # half the breast
    assert table1_grade(nearly, 1.0, [left, right]).grade == "middle"


def test_bad_scale_and_mismatched_breasts_are_named() -> None:
    with pytest.raises(ValueError, match="mm_per_px"):
        table1_grade(disc(3), 0.0)
    with pytest.raises(ValueError, match="breast 0"):
        table1_grade(disc(3), 1.0, [np.zeros((5, 5), np.uint8)])
