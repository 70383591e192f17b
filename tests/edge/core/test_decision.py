"""The ΔT decision rules on hand-made masks and temperature fields whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.analysis import AnalysisConfig, analyse
from tests.edge.core.fields import H, W, empty, roi_rows, square, torso


def test_a_focal_spot_one_and_a_half_degrees_above_its_mirror_site_counts_as_focal() -> None:
    field, mask = torso(), square(empty(), 50, 40, 6)
    field[mask > 0] += 1.5
    result = analyse(mask, field, AnalysisConfig())
    (region,) = result.regions
    assert region.counted and region.rule == "focal_delta_t" and result.abnormal
    # Smoothing (against misalignment and mottled skin) takes a little off a small spot.
    assert 0.5 < region.delta_t_c < 1.5 and 1.0 <= region.delta_t_peak_c <= 1.5
    (exact,) = analyse(mask, field, AnalysisConfig(blur_frac=0.0, align_frac=0.0)).regions
    assert exact.delta_t_c == pytest.approx(1.5, abs=1e-3)


def test_warmth_mirrored_on_both_sides_does_not_count() -> None:
    field = torso()
    mask = square(square(empty(), 50, 40, 6), 50, 114, 6)  # columns 114..119 mirror 40..45
    field[mask > 0] += 2.0
    # The contralateral rules alone (the local rule, decision 0014, reads each spot against its
    # own surroundings instead).
    result = analyse(mask, field, AnalysisConfig(local_excess_c=None))
    assert len(result.regions) == 2 and not result.abnormal and result.grade == "none"
    assert all(not r.counted and r.reason.startswith("symmetric") for r in result.regions)


def test_a_spot_below_both_thresholds_does_not_count() -> None:
    field, mask = torso(), square(empty(), 50, 40, 4)
    field[mask > 0] += 0.4
    (region,) = analyse(mask, field, AnalysisConfig()).regions
    assert not region.counted and region.rule is None


def test_a_small_spot_below_the_focal_threshold_counts_as_diffuse_unless_a_size_is_required() -> (
    None
):
    field, mask = torso(), square(empty(), 50, 40, 10)  # 100 px: 0.5 % of the frame
    field[mask > 0] += 0.7
    (region,) = analyse(mask, field, AnalysisConfig()).regions
    assert region.rule == "diffuse_delta_t" and region.delta_t_peak_c < 1.0
    assert not analyse(mask, field, AnalysisConfig(diffuse_min_area_pct=1.0)).abnormal


def test_a_large_region_half_a_degree_warmer_counts_as_diffuse() -> None:
    field, mask = torso(), square(empty(), 30, 25, 40)  # 1,600 px of a 12,600 px body
    field[mask > 0] += 0.6
    result = analyse(mask, field, AnalysisConfig())
    (region,) = result.regions
    assert region.rule == "diffuse_delta_t" and result.abnormal
    assert analyse(mask, field, AnalysisConfig(diffuse_min_area_pct=5.0)).abnormal
    assert not analyse(mask, field, AnalysisConfig(diffuse_min_area_pct=50.0)).abnormal


def test_a_warm_region_outside_the_breast_roi_is_reported_but_never_counts() -> None:
    field, mask = torso(), square(empty(), 12, 40, 6)  # neck height, above the ROI rows
    field[mask > 0] += 3.0
    result = analyse(mask, field, AnalysisConfig(), roi=roi_rows(40, 110))
    (region,) = result.regions
    assert region.roi_overlap == 0.0 and not region.counted
    assert region.reason == "outside the breast ROI" and not result.abnormal
    inside = analyse(
        np.roll(mask, 40, axis=0),
        np.roll(field, 40, axis=0),
        AnalysisConfig(),
        roi=roi_rows(40, 110),
    )
    assert inside.abnormal and inside.regions[0].rule == "focal_delta_t"


def test_the_excess_rule_is_off_by_default_and_counts_when_enabled() -> None:
    field, mask = torso(), square(empty(), 50, 40, 4)
    field[mask > 0] += 0.8
    field[50:54, 116:120] += 0.8  # the mirror site is as warm: no asymmetry
    assert not analyse(mask, field, AnalysisConfig()).abnormal
    (region,) = analyse(mask, field, AnalysisConfig(baseline_excess_c=0.5)).regions
    assert region.rule == "baseline_excess" and region.excess_c == pytest.approx(0.8, abs=1e-3)


def test_the_regions_decision_counts_every_region_as_the_paper_reads_it() -> None:
    field = torso()
    mask = square(square(empty(), 50, 40, 6), 50, 114, 6)
    field[mask > 0] += 2.0
    result = analyse(mask, field, AnalysisConfig(decision="regions"))
    assert result.grade == "advanced" and all(r.rule == "region" for r in result.regions)


def test_score_is_the_threshold_factor_at_which_the_frame_stops_being_flagged() -> None:
    mask = square(empty(), 50, 40, 12)
    results = []
    for excess in (0.3, 0.7, 1.2, 2.4):
        field = torso()
        field[mask > 0] += excess
        results.append(analyse(mask, field, AnalysisConfig()))
    scores = [r.score for r in results]
    assert 0.0 < scores[0] < scores[1] < scores[2] < scores[3]
    assert [r.abnormal for r in results] == [s >= 1.0 for s in scores] == [False, True, True, True]
    # The score is the larger of peak ΔT / 1 °C (focal) and mean ΔT / 0.5 °C (diffuse).
    (r,) = results[1].regions
    assert scores[1] == pytest.approx(max(r.delta_t_peak_c / 1.0, r.delta_t_c / 0.5))
    assert analyse(empty(), torso(), AnalysisConfig()).score == 0.0


def test_table1_grading_reads_size_in_millimetres_and_a_full_red_breast() -> None:
    field, mask = torso(), square(empty(), 50, 40, 8)  # 8 x 8 px: 9.0 px equivalent diameter
    field[mask > 0] += 1.5
    small = AnalysisConfig(grading="table1", mm_per_px=1.0)
    assert analyse(mask, field, small).grade == "initial"
    assert analyse(mask, field, AnalysisConfig(grading="table1", mm_per_px=1.2)).grade == "middle"
    roi = roi_rows(40, 60)
    full = np.zeros((H, W), dtype=np.uint8)
    full[40:60, 20:80] = 1  # the whole left half of the ROI
    hot = torso()
    hot[full > 0] += 1.5
    assert analyse(full, hot, small, roi=roi).grade == "advanced"
