"""Region analysis on hand-made masks and temperature fields whose answers are known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.core.analysis import AnalysisConfig, analyse
from edge.core.imaging import find_midline
from edge.core.preprocess import colorize
from edge.errors import FrameError

H, W = 120, 160
# Grading tests count every region (the paper's reading); the ΔT rules are tested on their own.
REGIONS = AnalysisConfig(decision="regions")


def torso(celsius: float = 33.0, room: float = 22.0) -> np.ndarray:
    """A flat, left-right symmetric body (columns 20..139) on room-temperature background."""
    field = np.full((H, W), room, dtype=np.float32)
    field[10:115, 20:140] = celsius
    return field


def blob(mask: np.ndarray, cy: int, cx: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    mask[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
    return mask


def empty() -> np.ndarray:
    return np.zeros((H, W), dtype=np.uint8)


def test_no_region_grades_none_and_is_not_abnormal() -> None:
    result = analyse(empty(), torso(), AnalysisConfig())
    assert result.grade == "none" and result.abnormal is False and result.regions == ()


def test_one_tiny_region_on_one_side_grades_initial() -> None:
    result = analyse(blob(empty(), 60, 50, 2), torso(), REGIONS)
    assert result.grade == "initial" and result.abnormal is True
    (region,) = result.regions
    assert region.side == "left" and region.area_px == 13


def test_one_large_region_on_one_side_grades_middle() -> None:
    result = analyse(
        blob(empty(), 60, 110, 10), torso(), AnalysisConfig(decision="regions", middle_area_pct=2.0)
    )
    assert result.grade == "middle"
    assert result.regions[0].side == "right" and result.regions[0].area_pct > 2.0


def test_regions_on_both_sides_of_the_midline_grade_advanced() -> None:
    mask = blob(blob(empty(), 60, 50, 3), 60, 110, 3)
    result = analyse(mask, torso(), REGIONS)
    assert result.grade == "advanced"
    assert sorted(r.side for r in result.regions) == ["left", "right"]


def test_regions_below_the_minimum_area_are_ignored() -> None:
    mask = blob(empty(), 60, 50, 1)  # 5 px
    cfg = {"decision": "regions"}
    assert analyse(mask, torso(), AnalysisConfig(**cfg, min_region_px=6)).grade == "none"
    assert analyse(mask, torso(), AnalysisConfig(**cfg, min_region_px=5)).grade == "initial"
    # As a fraction of the body (120 x 105 = 12,600 px): 0.001 -> 13 px.
    assert analyse(mask, torso(), AnalysisConfig(**cfg, min_region_frac=0.001)).grade == "none"


def test_delta_t_of_a_two_degree_spot_against_a_flat_mirror_site_is_two() -> None:
    field = torso(33.0)
    mask = blob(empty(), 60, 50, 4)
    field[mask > 0] += 2.0
    # Unsmoothed, against a flat mirror site, ΔT is the spot's excess exactly.
    (region,) = analyse(mask, field, AnalysisConfig(blur_frac=0.0, align_frac=0.0)).regions
    assert region.delta_t_c == pytest.approx(2.0, abs=1e-4)
    assert region.mean_c == pytest.approx(35.0, abs=1e-4)
    assert region.max_c == pytest.approx(35.0, abs=1e-4)


def test_midline_of_a_symmetric_body_is_its_centre() -> None:
    assert analyse(empty(), torso(), AnalysisConfig()).midline_x == pytest.approx(79.5)


def test_midline_follows_a_body_shifted_off_the_image_centre() -> None:
    field = np.full((H, W), 22.0, dtype=np.float32)
    field[10:115, 40:150] = 33.0  # body columns 40..149: centre 94.5
    assert analyse(empty(), field, AnalysisConfig()).midline_x == pytest.approx(94.5)
    body = np.zeros((H, W), dtype=np.uint8)
    body[:, 40:150] = 1
    assert find_midline(body, "centre") == pytest.approx(79.5)
    assert find_midline(body, "centroid") == pytest.approx(94.5)


def test_mirror_midline_is_not_pulled_by_a_one_sided_bulge_like_the_centroid_is() -> None:
    body = np.zeros((H, W), dtype=np.uint8)
    body[10:115, 20:140] = 1
    body[40:60, 10:20] = 1  # an arm on the image left
    assert find_midline(body, "mirror") == pytest.approx(79.5, abs=1.0)
    assert find_midline(body, "centroid") < 79.0


def test_region_measurements_of_a_known_square() -> None:
    mask = empty()
    mask[30:40, 100:120] = 1
    result = analyse(mask, torso(), AnalysisConfig())
    (r,) = result.regions
    assert r.bbox == (100, 30, 20, 10) and r.area_px == 200
    assert r.centroid == pytest.approx((109.5, 34.5))
    assert result.body_area_px == 105 * 120
    assert r.area_pct == pytest.approx(100 * 200 / (105 * 120))


def test_pseudo_colour_input_finds_the_body_from_rgb_and_reports_no_temperatures() -> None:
    rgb = colorize(torso(), "jet", 28.0, 38.0)
    result = analyse(blob(empty(), 60, 50, 3), None, AnalysisConfig(), rgb=rgb)
    assert result.body_area_px == 105 * 120 and result.midline_x == pytest.approx(79.5)
    (region,) = result.regions
    assert region.max_c is None and region.mean_c is None and region.delta_t_c is None


def test_a_given_body_mask_is_used_as_is() -> None:
    body = np.zeros((H, W), dtype=np.uint8)
    body[:, :100] = 1
    result = analyse(empty(), None, AnalysisConfig(), body=body)
    assert result.body_area_px == H * 100 and result.midline_x == pytest.approx(49.5)


def test_abnormal_from_middle_leaves_initial_frames_normal() -> None:
    result = analyse(
        blob(empty(), 60, 50, 2),
        torso(),
        AnalysisConfig(decision="regions", abnormal_from="middle"),
    )
    assert result.grade == "initial" and result.abnormal is False


def test_regions_are_numbered_largest_first() -> None:
    mask = blob(blob(empty(), 60, 40, 2), 60, 60, 5)
    ids = [(r.id, r.area_px) for r in analyse(mask, torso(), AnalysisConfig()).regions]
    assert [i for i, _ in ids] == [1, 2] and ids[0][1] > ids[1][1]


def test_to_dict_is_json_serialisable_with_the_documented_keys() -> None:
    field = torso()
    mask = blob(empty(), 60, 50, 4)
    field[mask > 0] += 1.5
    result = analyse(mask, field, AnalysisConfig(blur_frac=0.0, align_frac=0.0))
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {"regions", "grade", "abnormal", "midline_x", "body_area_px", "score"}
    assert set(data["regions"][0]) == {
        "id",
        "bbox",
        "area_px",
        "area_pct",
        "centroid",
        "side",
        "max_c",
        "mean_c",
        "delta_t_c",
        "delta_t_peak_c",
        "excess_c",
        "local_excess_c",
        "roi_overlap",
        "counted",
        "rule",
        "reason",
    }
    assert data["regions"][0]["delta_t_c"] == pytest.approx(1.5, abs=1e-3)
    assert result.max_delta_t_c == pytest.approx(1.5, abs=1e-4)


def test_mismatched_shapes_raise_frame_error_naming_the_array() -> None:
    with pytest.raises(FrameError, match="celsius"):
        analyse(empty(), np.zeros((10, 10), dtype=np.float32), AnalysisConfig())
    with pytest.raises(FrameError, match="mask must be"):
        analyse(np.zeros((H, W, 3), dtype=np.uint8), None, AnalysisConfig())
