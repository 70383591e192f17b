"""The local rule: a region's peak over the ring of the same breast around it (edge.core._local)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tomllib

from edge.core.analysis import AnalysisConfig, analyse
from tests.edge.core.fields import empty, roi_rows, square, torso

EXACT = {"blur_frac": 0.0, "align_frac": 0.0}  # no smoothing: the answers are exact


def mirrored_spot(excess: float) -> tuple[np.ndarray, np.ndarray]:
    """A 6x6 spot segmented on the left, its unsegmented mirror site exactly as warm."""
    field, mask = torso(), square(empty(), 50, 40, 6)
    field[50:56, 40:46] += excess
    field[50:56, 114:120] += excess  # columns 114..119 mirror 40..45 about 79.5
    return field, mask


def test_a_spot_whose_mirror_site_is_as_warm_counts_by_local_by_default_and_not_when_off() -> None:
    field, mask = mirrored_spot(1.5)
    off = analyse(mask, field, AnalysisConfig(local_excess_c=None))
    assert not off.abnormal and off.regions[0].reason.startswith("symmetric")
    on = analyse(mask, field, AnalysisConfig())
    (region,) = on.regions
    assert on.abnormal and region.counted and region.rule == "local"


def test_the_local_excess_is_reported_on_every_region_with_the_rule_off() -> None:
    field, mask = mirrored_spot(1.5)
    result = analyse(mask, field, AnalysisConfig(**EXACT, local_excess_c=None))
    (region,) = result.regions
    assert region.local_excess_c == pytest.approx(1.5, abs=1e-4)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["regions"][0]["local_excess_c"] == pytest.approx(1.5, abs=1e-3)


def test_no_temperatures_means_no_local_excess() -> None:
    (region,) = analyse(
        square(empty(), 50, 40, 6), None, AnalysisConfig(local_excess_c=1.0)
    ).regions
    assert region.local_excess_c is None and region.rule == "region"


def test_a_region_inside_a_plateau_as_warm_as_itself_does_not_count_by_local() -> None:
    # The whole left breast is 0.8 °C warmer (the diffuse rule's case); the segmented part of it
    # stands out from nothing around it.
    field, mask = torso(), square(empty(), 50, 40, 6)
    field[30:80, 25:70] += 0.8
    (region,) = analyse(mask, field, AnalysisConfig(**EXACT, local_excess_c=1.0)).regions
    assert region.local_excess_c == pytest.approx(0.0, abs=1e-4)
    assert region.rule == "diffuse_delta_t"  # it counts by ΔT, not by local


def test_other_segmented_pixels_are_never_part_of_the_ring() -> None:
    field, mask = mirrored_spot(1.5)
    # A second, much warmer region right beside the first: were it ring, the first would read
    # as colder than its surroundings.
    square(mask, 50, 47, 6)
    field[50:56, 47:53] += 4.0
    field[50:56, 107:113] += 4.0
    cfg = AnalysisConfig(**EXACT, min_region_px=4)
    regions = analyse(mask, field, cfg).regions
    # Column 46 lies between them: two regions.
    assert len(regions) == 2
    by_x = sorted(regions, key=lambda r: r.centroid[0])
    assert by_x[0].local_excess_c == pytest.approx(1.5, abs=1e-4)
    assert by_x[1].local_excess_c == pytest.approx(4.0, abs=1e-4)


def test_the_ring_stays_on_the_regions_side_of_the_midline() -> None:
    # A spot touching the midline; the other side is 3 °C warmer right across it.
    field, mask = torso(), square(empty(), 50, 74, 6)  # columns 74..79, left of 79.5
    field[50:56, 74:80] += 1.5
    field[30:80, 80:90] += 3.0
    (region,) = analyse(mask, field, AnalysisConfig(**EXACT, local_ring_frac=0.05)).regions
    assert region.side == "left" and region.local_excess_c == pytest.approx(1.5, abs=1e-4)


def test_a_warm_fold_like_band_counts_by_local_inside_the_roi_and_never_outside_it() -> None:
    # The rule does not know anatomy: a band warmer than the tissue above and below it is a
    # local hot spot. Inframammary folds lie below the breast ROI (decision 0011), whose gate
    # keeps them out; a band inside the ROI counts.
    field, mask = torso(), empty()
    mask[95:99, 30:130] = 1
    field[95:99, 30:130] += 1.5  # symmetric: no ΔT
    cfg = AnalysisConfig(**EXACT, local_excess_c=1.0)
    outside = analyse(mask, field, cfg, roi=roi_rows(20, 90))
    assert not outside.abnormal and outside.regions[0].reason == "outside the breast ROI"
    inside = analyse(mask, field, cfg, roi=roi_rows(20, 110))
    assert inside.abnormal and inside.regions[0].rule == "local"
    off = AnalysisConfig(**EXACT, local_excess_c=None)
    assert not analyse(mask, field, off, roi=roi_rows(20, 110)).abnormal


def test_a_region_filling_its_surroundings_has_no_local_excess() -> None:
    mask = empty()
    mask[:, :] = 1  # everything is segmented: no ring pixel is left
    (region,) = analyse(mask, torso(), AnalysisConfig(local_excess_c=1.0)).regions
    assert region.local_excess_c is None


@pytest.mark.parametrize("excess", [0.3, 0.6, 0.95, 1.05, 1.4, 2.5])
def test_the_frame_is_flagged_iff_the_score_reaches_one_with_the_local_rule(
    excess: float,
) -> None:
    field, mask = mirrored_spot(excess)
    cfg = AnalysisConfig(**EXACT, local_excess_c=1.0)
    result = analyse(mask, field, cfg)
    (r,) = result.regions
    assert result.abnormal == (result.score >= 1.0) == (excess >= 1.0)
    ratios = [r.delta_t_peak_c / 1.0, r.delta_t_c / 0.5, r.local_excess_c / 1.0]
    assert result.score == pytest.approx(max(ratios))
    # Off, the score ignores the local excess: the mirror cancels the spot.
    off = AnalysisConfig(**EXACT, local_excess_c=None)
    assert analyse(mask, field, off).score == pytest.approx(0.0, abs=1e-4)


def test_off_in_a_config_file_switches_the_rule_off_and_round_trips() -> None:
    # TOML has no null: "off" is how a config file turns off a rule that is on by default.
    cfg = AnalysisConfig.model_validate(tomllib.loads('local_excess_c = "off"'))
    assert cfg.local_excess_c is None
    dumped = cfg.model_dump(mode="json")
    assert dumped["local_excess_c"] == "off"
    assert AnalysisConfig.model_validate(dumped) == cfg
    assert AnalysisConfig().model_dump(mode="json")["local_excess_c"] == 1.0


def test_a_region_with_no_ring_to_compare_with_says_so_instead_of_not_warmer() -> None:
    # The whole left half of the body is segmented: no unsegmented body pixel of its side
    # is left around it, so there is nothing to measure it against.
    field, mask = torso(), empty()
    mask[10:115, 20:80] = 1
    (region,) = analyse(mask, field, AnalysisConfig(**EXACT)).regions
    assert region.local_excess_c is None and not region.counted
    assert region.reason.endswith("; no surroundings to compare with")
