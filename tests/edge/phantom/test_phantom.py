"""edge.phantom.generator: deterministic synthetic thermograms and their exact ground truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import ConfigError, DatasetError
from edge.io.readers import read_frame, read_mask
from edge.phantom.generator import (
    ABNORMAL_EXCESS_C,
    generate,
    render_parts,
    stage_for,
    write_dataset,
)

ABNORMAL_STAGES = ("initial", "middle", "advanced")


def test_same_arguments_give_identical_phantoms() -> None:
    a, b = generate(11, 3), generate(11, 3)
    np.testing.assert_array_equal(a.celsius, b.celsius)
    np.testing.assert_array_equal(a.abnormal, b.abnormal)
    np.testing.assert_array_equal(a.breast, b.breast)
    assert a.label == b.label


def test_different_seed_or_index_gives_a_different_subject() -> None:
    base = generate(11, 3, stage="middle")
    other_seed = generate(12, 3, stage="middle")
    other_index = generate(11, 4, stage="middle")
    assert not np.array_equal(base.breast, other_seed.breast)
    assert not np.array_equal(base.celsius, other_seed.celsius)
    assert not np.array_equal(base.celsius, other_index.celsius)
    assert base.label.subject != other_index.label.subject


def test_noise_seed_rerenders_the_same_subject_with_fresh_sensor_noise() -> None:
    first = generate(5, 2, noise_seed=0)
    second = generate(5, 2, noise_seed=1)
    np.testing.assert_array_equal(first.abnormal, second.abnormal)
    np.testing.assert_array_equal(first.breast, second.breast)
    assert first.label == second.label
    difference = first.celsius - second.celsius
    assert difference.any()
    # Two independent NETD draws differ by sigma * sqrt(2); the column pattern cancels.
    assert 0.05 < float(difference.std()) < 0.1


def test_celsius_is_the_lesion_render_plus_sensor_noise_of_about_50_mk() -> None:
    parts = render_parts(8, 1)
    phantom = generate(8, 1)
    np.testing.assert_allclose(phantom.celsius, parts.with_lesions + parts.noise, atol=1e-5)
    column_pattern = parts.noise.mean(axis=0)
    assert 0.015 < float(column_pattern.std()) < 0.05
    assert 0.03 < float((parts.noise - column_pattern).std()) < 0.07


@pytest.mark.parametrize("stage", ABNORMAL_STAGES)
def test_ground_truth_is_where_lesions_add_at_least_half_a_degree(stage: str) -> None:
    # The same subject without lesions (stage "normal") shares anatomy and sensor noise, so the
    # difference of the two public renders is the lesions' excess alone.
    for index in range(4):
        with_lesions = generate(21, index, stage=stage)  # type: ignore[arg-type]
        without = generate(21, index, stage="normal")
        excess = with_lesions.celsius - without.celsius
        abnormal = with_lesions.abnormal.astype(bool)
        assert (excess[abnormal] >= ABNORMAL_EXCESS_C - 1e-4).all()
        assert (excess[~abnormal] < ABNORMAL_EXCESS_C + 1e-4).all()
        parts = render_parts(21, index, stage=stage)  # type: ignore[arg-type]
        np.testing.assert_array_equal(
            parts.abnormal, (parts.with_lesions - parts.without_lesions) >= ABNORMAL_EXCESS_C
        )


def test_normal_subjects_have_empty_masks_and_no_lesions() -> None:
    for index in range(6):
        phantom = generate(2, index, stage="normal")
        assert not phantom.abnormal.any()
        assert phantom.label.lesions == ()


@pytest.mark.parametrize("resolution", ["lepton", "dmr"])
@pytest.mark.parametrize("stage", ABNORMAL_STAGES)
def test_abnormal_subjects_have_a_mask_inside_the_breast(stage: str, resolution: str) -> None:
    for index in range(6 if resolution == "lepton" else 2):
        phantom = generate(4, index, stage=stage, resolution=resolution)  # type: ignore[arg-type]
        assert phantom.abnormal.sum() >= 3
        assert not (phantom.abnormal & (1 - phantom.breast)).any()
        assert all(lesion.excess_c > 0.75 for lesion in phantom.label.lesions)


def _breast_halves(breast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count, labels = cv2.connectedComponents(breast)
    assert count == 3, "expected background plus two separate breasts"
    left_first = sorted((1, 2), key=lambda k: np.nonzero(labels == k)[1].mean())
    return labels == left_first[0], labels == left_first[1]


def test_stages_place_lesions_as_the_paper_describes() -> None:
    for index in range(6):
        initial = generate(9, index, stage="initial")
        assert len(initial.label.lesions) == 1
        middle = generate(9, index, stage="middle")
        assert len({lesion.breast for lesion in middle.label.lesions}) == 1
        advanced = generate(9, index, stage="advanced")
        assert {lesion.breast for lesion in advanced.label.lesions} == {"left", "right"}
        image_left, image_right = _breast_halves(advanced.breast)
        assert advanced.abnormal[image_left].any()
        assert advanced.abnormal[image_right].any()
        assert middle.abnormal.sum() > initial.abnormal.sum()


def test_lesion_sides_name_the_patient_side_image_left_is_patient_right() -> None:
    phantom = generate(9, 0, stage="initial")
    lesion = phantom.label.lesions[0]
    image_left, _ = _breast_halves(phantom.breast)
    on_image_left = bool(phantom.abnormal[image_left].any())
    assert lesion.breast == ("right" if on_image_left else "left")


def test_temperatures_lie_in_the_physical_ranges() -> None:
    for index in range(10):
        parts = render_parts(13, index)
        celsius = parts.with_lesions + parts.noise
        background = parts.body_alpha == 0
        assert background.sum() > 0.1 * background.size
        assert float(celsius[background].min()) >= 18.0
        assert float(celsius[background].max()) <= 26.0
        breast = parts.breast.astype(bool)
        skin = (parts.without_lesions + parts.noise)[breast]
        assert float(skin.min()) >= 28.5
        assert float(skin.max()) <= 36.5
        peak = max((lesion.excess_c for lesion in parts.label.lesions), default=0.0)
        assert float(celsius[breast].max()) <= 36.5 + peak
        # The breast region is skin: warmer than the room by a wide margin.
        assert float(skin.mean()) - float(celsius[background].mean()) > 5.0


def test_breasts_are_roughly_symmetric_within_half_a_degree() -> None:
    for index in range(6):
        parts = render_parts(17, index, stage="normal")
        image_left, image_right = _breast_halves(parts.breast)
        gap = float(
            parts.without_lesions[image_left].mean() - parts.without_lesions[image_right].mean()
        )
        assert abs(gap) < 0.5


def test_the_same_subject_scales_from_lepton_to_dmr_resolution() -> None:
    small = generate(6, 1, stage="advanced")
    large = generate(6, 1, stage="advanced", resolution="dmr")
    assert small.celsius.shape == (120, 160)
    assert large.celsius.shape == (480, 640)
    assert large.label.stage == small.label.stage
    for a, b in zip(small.label.lesions, large.label.lesions, strict=True):
        assert a.breast == b.breast
        assert b.radius_px == pytest.approx(4 * a.radius_px, rel=1e-6)
        assert b.center_yx[1] == pytest.approx(4 * a.center_yx[1], abs=1e-3)
    ratio = large.breast.sum() / small.breast.sum()
    assert 14 < ratio < 18
    assert 10 < large.abnormal.sum() / small.abnormal.sum() < 22


def test_stage_for_is_deterministic_and_mixes_40_20_20_20() -> None:
    stages = [stage_for(3, i) for i in range(100)]
    assert stages == [stage_for(3, i) for i in range(100)]
    assert Counter(stages) == {"normal": 40, "initial": 20, "middle": 20, "advanced": 20}
    assert stages != [stage_for(4, i) for i in range(100)]
    assert generate(3, 7).label.stage == stages[7]


def test_phantom_frame_carries_subject_and_stage() -> None:
    phantom = generate(1, 2, stage="middle")
    frame = phantom.frame(sequence=9, timestamp=123.0)
    assert frame.kind == "celsius"
    assert (frame.sequence, frame.timestamp) == (9, 123.0)
    assert frame.metadata["subject"] == "synth-0001-00002"
    assert frame.metadata["stage"] == "middle"
    np.testing.assert_array_equal(frame.pixels, phantom.celsius)


def test_write_dataset_layout_is_readable_by_the_readers(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path / "synth", 5, 42)
    out = tmp_path / "synth"
    lines = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert [line["subject"] for line in lines] == [f"synth-0042-{i:05d}" for i in range(5)]
    assert [label.to_dict() for label in labels] == [
        {k: v for k, v in line.items() if k != "file"} for line in lines
    ]
    assert Counter(line["stage"] for line in lines) == {
        "normal": 2,
        "initial": 1,
        "middle": 1,
        "advanced": 1,
    }
    for line, label in zip(lines, labels, strict=True):
        assert line["file"] == f"{label.subject}.npy"
        phantom = generate(42, label.index)
        frame = read_frame(out / line["file"])
        assert frame.kind == "celsius"
        np.testing.assert_array_equal(frame.pixels, phantom.celsius)
        np.testing.assert_array_equal(
            read_mask(out / "masks" / f"{label.subject}.png"), phantom.abnormal
        )
        np.testing.assert_array_equal(
            read_mask(out / "breast" / f"{label.subject}.png"), phantom.breast
        )
        assert bool(phantom.abnormal.any()) == (line["stage"] != "normal")
        assert len(line["lesions"]) == len(label.lesions)


def test_invalid_arguments_raise_errors_naming_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="seed=-1"):
        generate(-1, 0)
    with pytest.raises(ConfigError, match="stage='late'"):
        generate(1, 0, stage="late")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="resolution='vga'"):
        generate(1, 0, resolution="vga")  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="count=0"):
        write_dataset(tmp_path, 0, 1)


def test_changing_a_returned_phantom_does_not_change_the_next_render() -> None:
    first = generate(30, 1, stage="middle", noise_seed=1)
    reference = first.abnormal.copy()
    first.abnormal[:] = 0
    first.breast[:] = 0
    first.celsius[:] = 0.0
    again = generate(30, 1, stage="middle", noise_seed=1)
    np.testing.assert_array_equal(again.abnormal, reference)
    assert again.breast.any()
    assert float(again.celsius.mean()) > 18.0
