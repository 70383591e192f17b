"""edge.phantom.family_d: the fourth phantom family, its determinism, truth and variety."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import ConfigError
from edge.io.readers import read_mask
from edge.phantom import ABNORMAL_EXCESS_C, FAMILIES, generate, stage_for, write_dataset
from edge.phantom._d_body import draw_body
from edge.phantom._d_lesions import LOOKS, draw_lesions_d
from edge.phantom._d_thermal import draw_thermal
from edge.phantom._d_vessels import grow_trees
from edge.phantom.family_d import MIN_PEAK_C, generate_d, render_parts_d

VIEWS = ("closeup", "wide")
ABNORMAL_STAGES = ("initial", "middle", "advanced")


def test_family_d_is_registered() -> None:
    assert FAMILIES["d"] is generate_d
    assert generate(2, 1, family="d").label.family == "d"


@pytest.mark.parametrize("view", VIEWS)
def test_same_arguments_give_identical_phantoms(view: str) -> None:
    a = generate_d(3, 7, view=view)  # type: ignore[arg-type]
    b = generate(3, 7, view=view, family="d")  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.celsius, b.celsius)
    np.testing.assert_array_equal(a.abnormal, b.abnormal)
    np.testing.assert_array_equal(a.breast, b.breast)
    assert a.label == b.label


def test_different_seed_or_index_gives_a_different_subject() -> None:
    base = generate_d(3, 7, stage="middle")
    for other in (generate_d(3, 8, stage="middle"), generate_d(4, 7, stage="middle")):
        assert not np.array_equal(base.breast, other.breast)
        assert not np.array_equal(base.celsius, other.celsius)
        assert base.label.subject != other.label.subject


@pytest.mark.parametrize("view", VIEWS)
def test_noise_seed_changes_only_the_sensor_noise(view: str) -> None:
    first = render_parts_d(4, 1, view=view, noise_seed=0)  # type: ignore[arg-type]
    second = render_parts_d(4, 1, view=view, noise_seed=1)  # type: ignore[arg-type]
    np.testing.assert_array_equal(first.with_lesions, second.with_lesions)
    np.testing.assert_array_equal(first.abnormal, second.abnormal)
    np.testing.assert_array_equal(first.breast, second.breast)
    assert first.label == second.label
    difference = first.noise - second.noise
    # Two NETD draws (40-70 mK) differ by sigma * sqrt(2); the fixed patterns cancel.
    assert 0.05 < float(difference.std()) < 0.105
    assert abs(float(difference.mean(axis=0).std())) < 0.02
    np.testing.assert_array_equal(generate_d(4, 1).celsius, generate_d(4, 1).celsius)
    assert not np.array_equal(generate_d(4, 1).celsius, generate_d(4, 1, noise_seed=0).celsius)


@pytest.mark.parametrize(
    ("resolution", "view", "shape"),
    [
        ("lepton", "closeup", (120, 160)),
        ("lepton", "wide", (120, 160)),
        ("dmr", "closeup", (480, 640)),
        ("dmr", "wide", (480, 640)),
    ],
)
def test_shapes_dtypes_and_subject_id(resolution: str, view: str, shape: tuple[int, int]) -> None:
    phantom = generate_d(2, 5, resolution=resolution, view=view)  # type: ignore[arg-type]
    assert phantom.celsius.shape == phantom.abnormal.shape == phantom.breast.shape == shape
    assert phantom.celsius.dtype == np.float32
    assert phantom.abnormal.dtype == phantom.breast.dtype == np.uint8
    assert set(np.unique(phantom.abnormal)) <= {0, 1}
    assert set(np.unique(phantom.breast)) == {0, 1}
    assert phantom.label.subject == f"synth-d-{view}-0002-00005"
    assert (phantom.label.resolution, phantom.label.view) == (resolution, view)


@pytest.mark.parametrize("resolution", ["lepton", "dmr"])
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("index", range(6))
def test_abnormal_is_exactly_where_lesions_add_half_a_degree_inside_the_breast_roi(
    resolution: str, view: str, index: int
) -> None:
    stage = ABNORMAL_STAGES[index % 3]
    parts = render_parts_d(9, index, stage=stage, resolution=resolution, view=view)  # type: ignore[arg-type]
    excess = parts.with_lesions - parts.without_lesions
    np.testing.assert_array_equal(parts.abnormal, (excess >= ABNORMAL_EXCESS_C).astype(np.uint8))
    assert parts.abnormal.any()
    # Every pixel a lesion touches at all lies inside the breast ROI truth.
    assert not ((excess > 0) & (parts.breast == 0)).any()
    assert len(parts.label.lesions) >= 1
    assert all(lesion.excess_c >= MIN_PEAK_C for lesion in parts.label.lesions)
    phantom = generate_d(9, index, stage=stage, resolution=resolution, view=view)  # type: ignore[arg-type]
    np.testing.assert_allclose(phantom.celsius, parts.with_lesions + parts.noise, atol=1e-5)
    np.testing.assert_array_equal(phantom.abnormal, parts.abnormal)


@pytest.mark.parametrize("view", VIEWS)
def test_every_abnormal_subject_has_a_mask_across_many_subjects(view: str) -> None:
    for index in range(30):
        stage = ABNORMAL_STAGES[index % 3]
        phantom = generate_d(21, index, stage=stage, view=view)  # type: ignore[arg-type]
        assert phantom.abnormal.sum() >= 1
        assert not (phantom.abnormal & (1 - phantom.breast)).any()


@pytest.mark.parametrize("view", VIEWS)
def test_normal_subjects_have_no_lesion_and_an_empty_mask(view: str) -> None:
    for index in range(4):
        parts = render_parts_d(5, index, stage="normal", view=view)  # type: ignore[arg-type]
        np.testing.assert_array_equal(parts.with_lesions, parts.without_lesions)
        assert not parts.abnormal.any()
        assert parts.label.lesions == ()


def test_lesion_centres_lie_in_the_breast_on_the_named_side_at_the_dmr_size() -> None:
    for index in range(4):
        parts = render_parts_d(6, index, stage="advanced", resolution="dmr", view="wide")
        for lesion in parts.label.lesions:
            y, x = (round(c) for c in lesion.center_yx)
            assert parts.breast[y, x] == 1
            side = x < parts.breast.shape[1] / 2
            # breast "right" (the patient's) is on the image left
            assert side == (lesion.breast == "right")


def test_breast_roi_is_two_separate_breasts_on_skin_in_the_lower_frame() -> None:
    for index in range(8):
        parts = render_parts_d(43, index, view="wide")
        count, _ = cv2.connectedComponents(parts.breast)
        assert count == 3
        assert (parts.body_alpha[parts.breast == 1] > 0.5).all()
        rows = np.nonzero(parts.breast)[0] / parts.breast.shape[0]
        assert rows.min() > 0.25 and rows.max() < 1.0


@pytest.mark.parametrize("view", VIEWS)
def test_roi_and_lesion_centres_hold_across_postures(view: str) -> None:
    """Hanging arms cut the breasts' outline: each breast stays one region, centres inside."""
    postures = set()
    for index in range(100):  # seed 77, index 93: a hanging arm nicks both breasts
        parts = render_parts_d(77, index, view=view)  # type: ignore[arg-type]
        postures.add(draw_body(np.random.default_rng([77, index, 401])).arms_raised)
        count, _ = cv2.connectedComponents(parts.breast)
        assert count == 3, index
        for lesion in parts.label.lesions:
            y, x = (round(c) for c in lesion.center_yx)
            assert parts.breast[y, x] == 1, index
    assert postures == {True, False}


def test_wide_normal_subjects_are_warmest_outside_the_breast_roi() -> None:
    outside = []
    for index in range(8):
        parts = render_parts_d(8, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        temps = parts.without_lesions[body]
        hot = body & (parts.without_lesions >= np.quantile(temps, 0.99))
        outside.append(float((hot & (parts.breast == 0)).sum() / hot.sum()))
        # Warm zones (axillae, neck, sternum, folds) without any lesion.
        assert np.quantile(temps, 0.99) - np.median(temps) > 1.5
    assert np.median(outside) > 0.8


def test_wide_views_have_room_ambient_and_skin_temperatures() -> None:
    for index in range(4):
        parts = render_parts_d(4, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        background = parts.body_alpha < 0.01
        assert 28.0 < float(np.median(parts.without_lesions[body])) < 35.5
        assert 16.0 < float(np.median(parts.without_lesions[background])) < 29.0
        assert 0.5 < float(body.mean()) < 0.95


def test_closeup_frames_the_breasts_larger_than_the_wide_view() -> None:
    for index in range(3):
        closeup = render_parts_d(3, index, stage="normal", view="closeup")
        wide = render_parts_d(3, index, stage="normal", view="wide")
        assert closeup.breast.mean() > 1.5 * wide.breast.mean()
        assert closeup.label.offset_c == wide.label.offset_c


def test_default_stages_follow_the_shared_mix() -> None:
    stages = [generate_d(1, index).label.stage for index in range(20)]
    assert stages == [stage_for(1, index) for index in range(20)]
    for block in range(4):
        counts = Counter(stages[5 * block : 5 * block + 5])
        assert counts == Counter({"normal": 2, "initial": 1, "middle": 1, "advanced": 1})


def test_population_spans_postures_rooms_skin_and_breast_contrast() -> None:
    bodies = [draw_body(np.random.default_rng([9, i, 1])) for i in range(300)]
    heats = [draw_thermal(np.random.default_rng([9, i, 2]), b) for i, b in enumerate(bodies)]
    assert {b.arms_raised for b in bodies} == {True, False}
    rooms = [t.ambient for t in heats]
    assert 18.0 <= min(rooms) < 20.0 and 25.0 < max(rooms) <= 28.0
    chests = [t.chest for t in heats]
    assert min(chests) < 30.0 and max(chests) > 33.5
    # Fatty breasts (cooler than the chest) and glandular, perfused ones (warmer).
    breasts = [t.log_breast[0] for t in heats]
    assert min(breasts) < -0.1 and max(breasts) > 0.3
    assert any(t.garment is not None for t in heats) and any(t.objects for t in heats)
    assert {np.sign(t.log_areola[0]) for t in heats} == {-1.0, 1.0}


def test_vessel_trees_branch_into_many_thinner_vessels() -> None:
    body = draw_body(np.random.default_rng(3))
    segments = grow_trees(np.random.default_rng(4), body)
    radii = sorted({round(s.radius, 6) for s in segments}, reverse=True)
    assert len(segments) > 100 and len(radii) > 20
    assert min(s.radius for s in segments) >= 0.035
    # Children get thinner: no radius above the thickest root's.
    assert max(radii) <= 0.17
    assert all(math.isfinite(s.x1) and math.isfinite(s.y1) for s in segments)


def test_frames_are_finite_across_many_subjects() -> None:
    for index in range(40):
        phantom = generate_d(2, index, view="wide")
        assert np.isfinite(phantom.celsius).all(), index


def test_lesion_looks_cover_all_four_and_advanced_often_has_both_breasts() -> None:
    rng = np.random.default_rng(3)
    looks = Counter(spec.look for _ in range(300) for spec in draw_lesions_d(rng, "middle"))
    assert set(looks) == set(LOOKS)
    advanced = [draw_lesions_d(rng, "advanced") for _ in range(200)]
    both = [specs for specs in advanced if len({s.side for s in specs}) == 2]
    assert 0.4 < len(both) / len(advanced) < 0.8
    initial = [spec for _ in range(200) for spec in draw_lesions_d(rng, "initial")]
    assert {spec.look for spec in initial} == {"nodule", "areolar"}
    assert draw_lesions_d(rng, "normal") == []


@pytest.mark.parametrize("kwargs", [{"view": "side"}, {"resolution": "vga"}, {"stage": "late"}])
def test_bad_arguments_name_the_field(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        generate_d(1, 1, **kwargs)  # type: ignore[arg-type]


def test_negative_index_is_refused() -> None:
    with pytest.raises(ConfigError, match="index"):
        generate_d(1, -1)


def test_write_dataset_round_trips_family_d(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path, 5, 6, view="wide", family="d")
    lines = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [line["family"] for line in lines] == ["d"] * 5
    assert [line["stage"] for line in lines] == [stage_for(6, i) for i in range(5)]
    for label, line in zip(labels, lines, strict=True):
        phantom = generate_d(6, label.index, view="wide")
        assert line == {**phantom.label.to_dict(), "file": f"{label.subject}.npy"}
        np.testing.assert_array_equal(np.load(tmp_path / line["file"]), phantom.celsius)
        roi = read_mask(tmp_path / "breast" / f"{label.subject}.png")
        mask = read_mask(tmp_path / "masks" / f"{label.subject}.png")
        np.testing.assert_array_equal(roi, phantom.breast)
        np.testing.assert_array_equal(mask, phantom.abnormal)


def test_synth_command_writes_family_d(tmp_path: Path) -> None:
    from edge.cli.main import main

    argv = ["synth", "--count", "2", "--seed", "4", "--family", "d", "--out", str(tmp_path)]
    assert main(argv) == 0
    lines = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [line["subject"] for line in lines] == [
        f"synth-d-closeup-0004-{i:05d}" for i in range(2)
    ]
