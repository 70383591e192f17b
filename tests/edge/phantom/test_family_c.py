"""edge.phantom.family_c: the held-out phantom family, its determinism, truth and variety."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import ConfigError
from edge.io.readers import read_mask
from edge.phantom import ABNORMAL_EXCESS_C, FAMILIES, generate, stage_for, write_dataset
from edge.phantom._c_body import draw_body
from edge.phantom._c_heat import draw_heat
from edge.phantom._c_lesions import LOOKS, draw_lesions_c
from edge.phantom.family_c import MIN_PEAK_C, generate_c, render_parts_c

VIEWS = ("closeup", "wide")
ABNORMAL_STAGES = ("initial", "middle", "advanced")


def test_family_c_is_registered() -> None:
    assert FAMILIES["c"] is generate_c
    assert generate(2, 1, family="c").label.family == "c"


@pytest.mark.parametrize("view", VIEWS)
def test_same_arguments_give_identical_phantoms(view: str) -> None:
    a = generate_c(3, 7, view=view)  # type: ignore[arg-type]
    b = generate(3, 7, view=view, family="c")  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.celsius, b.celsius)
    np.testing.assert_array_equal(a.abnormal, b.abnormal)
    np.testing.assert_array_equal(a.breast, b.breast)
    assert a.label == b.label


def test_different_seed_or_index_gives_a_different_subject() -> None:
    base = generate_c(3, 7, stage="middle")
    for other in (generate_c(3, 8, stage="middle"), generate_c(4, 7, stage="middle")):
        assert not np.array_equal(base.breast, other.breast)
        assert not np.array_equal(base.celsius, other.celsius)
        assert base.label.subject != other.label.subject


@pytest.mark.parametrize("view", VIEWS)
def test_noise_seed_changes_only_the_sensor_noise(view: str) -> None:
    first = render_parts_c(4, 1, view=view, noise_seed=0)  # type: ignore[arg-type]
    second = render_parts_c(4, 1, view=view, noise_seed=1)  # type: ignore[arg-type]
    np.testing.assert_array_equal(first.with_lesions, second.with_lesions)
    np.testing.assert_array_equal(first.abnormal, second.abnormal)
    np.testing.assert_array_equal(first.breast, second.breast)
    assert first.label == second.label
    difference = first.noise - second.noise
    # Two NETD draws (40-65 mK) differ by sigma * sqrt(2); the fixed pattern cancels.
    assert 0.05 < float(difference.std()) < 0.1
    assert abs(float(difference.mean(axis=0).std())) < 0.02
    # Without a noise seed the frame is the same every time, and differs from seeded ones.
    np.testing.assert_array_equal(generate_c(4, 1).celsius, generate_c(4, 1).celsius)
    assert not np.array_equal(generate_c(4, 1).celsius, generate_c(4, 1, noise_seed=0).celsius)


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
    phantom = generate_c(2, 5, resolution=resolution, view=view)  # type: ignore[arg-type]
    assert phantom.celsius.shape == phantom.abnormal.shape == phantom.breast.shape == shape
    assert phantom.celsius.dtype == np.float32
    assert phantom.abnormal.dtype == phantom.breast.dtype == np.uint8
    assert set(np.unique(phantom.abnormal)) <= {0, 1}
    assert set(np.unique(phantom.breast)) == {0, 1}
    assert phantom.label.subject == f"synth-c-{view}-0002-00005"
    assert (phantom.label.resolution, phantom.label.view) == (resolution, view)


@pytest.mark.parametrize("resolution", ["lepton", "dmr"])
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("index", range(6))
def test_abnormal_is_exactly_where_lesions_add_half_a_degree_inside_the_breast_roi(
    resolution: str, view: str, index: int
) -> None:
    stage = ABNORMAL_STAGES[index % 3]
    parts = render_parts_c(9, index, stage=stage, resolution=resolution, view=view)  # type: ignore[arg-type]
    excess = parts.with_lesions - parts.without_lesions
    np.testing.assert_array_equal(parts.abnormal, (excess >= ABNORMAL_EXCESS_C).astype(np.uint8))
    assert parts.abnormal.any()
    # Every pixel a lesion touches at all lies inside the breast ROI truth.
    assert not ((excess > 0) & (parts.breast == 0)).any()
    assert len(parts.label.lesions) >= 1
    assert all(lesion.excess_c >= MIN_PEAK_C for lesion in parts.label.lesions)
    phantom = generate_c(9, index, stage=stage, resolution=resolution, view=view)  # type: ignore[arg-type]
    np.testing.assert_allclose(phantom.celsius, parts.with_lesions + parts.noise, atol=1e-5)
    np.testing.assert_array_equal(phantom.abnormal, parts.abnormal)


def test_every_abnormal_subject_has_a_mask_across_many_subjects() -> None:
    for index in range(30):
        stage = ABNORMAL_STAGES[index % 3]
        phantom = generate_c(21, index, stage=stage, view="wide")  # type: ignore[arg-type]
        assert phantom.abnormal.sum() >= 1
        assert not (phantom.abnormal & (1 - phantom.breast)).any()


@pytest.mark.parametrize("view", VIEWS)
def test_normal_subjects_have_no_lesion_and_an_empty_mask(view: str) -> None:
    for index in range(4):
        parts = render_parts_c(5, index, stage="normal", view=view)  # type: ignore[arg-type]
        np.testing.assert_array_equal(parts.with_lesions, parts.without_lesions)
        assert not parts.abnormal.any()
        assert parts.label.lesions == ()


def test_lesion_centres_lie_in_the_breast_roi_at_the_dmr_size() -> None:
    for index in range(4):
        parts = render_parts_c(6, index, stage="advanced", resolution="dmr", view="wide")
        for lesion in parts.label.lesions:
            y, x = (round(c) for c in lesion.center_yx)
            assert parts.breast[y, x] == 1
            side = x < parts.breast.shape[1] / 2
            # breast "right" (the patient's) is on the image left
            assert side == (lesion.breast == "right")


def test_breast_roi_is_two_separate_breasts_on_skin_in_the_lower_frame() -> None:
    for index in range(8):
        parts = render_parts_c(43, index, view="wide")
        count, _ = cv2.connectedComponents(parts.breast)
        assert count == 3
        assert (parts.body_alpha[parts.breast == 1] > 0.5).all()
        rows = np.nonzero(parts.breast)[0] / parts.breast.shape[0]
        assert rows.min() > 0.25 and rows.max() < 1.0


def test_wide_normal_subjects_are_warmest_outside_the_breast_roi() -> None:
    outside = []
    for index in range(8):
        parts = render_parts_c(8, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        temps = parts.without_lesions[body]
        hot = body & (parts.without_lesions >= np.quantile(temps, 0.99))
        outside.append(float((hot & (parts.breast == 0)).sum() / hot.sum()))
        # Warm zones (axillae, neck, sternum, folds) without any lesion.
        assert np.quantile(temps, 0.99) - np.median(temps) > 1.5
    assert np.median(outside) > 0.8


def test_wide_views_have_room_ambient_and_skin_temperatures() -> None:
    for index in range(4):
        parts = render_parts_c(4, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        background = parts.body_alpha < 0.01
        assert 28.0 < float(np.median(parts.without_lesions[body])) < 35.5
        assert 16.0 < float(np.median(parts.without_lesions[background])) < 29.0
        assert 0.5 < float(body.mean()) < 0.95


def test_closeup_frames_the_breasts_larger_than_the_wide_view() -> None:
    for index in range(3):
        closeup = render_parts_c(3, index, stage="normal", view="closeup")
        wide = render_parts_c(3, index, stage="normal", view="wide")
        assert closeup.breast.mean() > 1.5 * wide.breast.mean()
        # Same subject, other framing: the subject's skin offset and stage do not change.
        assert closeup.label.offset_c == wide.label.offset_c


def test_default_stages_follow_the_shared_mix() -> None:
    stages = [generate_c(1, index).label.stage for index in range(20)]
    assert stages == [stage_for(1, index) for index in range(20)]
    for block in range(4):
        counts = Counter(stages[5 * block : 5 * block + 5])
        assert counts == Counter({"normal": 2, "initial": 1, "middle": 1, "advanced": 1})


def test_population_spans_postures_rooms_skin_and_breast_contrast() -> None:
    bodies = [draw_body(np.random.default_rng([9, i, 1])) for i in range(300)]
    heats = [draw_heat(np.random.default_rng([9, i, 2]), b) for i, b in enumerate(bodies)]
    assert {b.arms_raised for b in bodies} == {True, False}
    rooms = [t.ambient for t in heats]
    assert 18.0 <= min(rooms) < 20.0 and 25.0 < max(rooms) <= 28.0
    cores = [t.core for t in heats]
    assert min(cores) < 30.0 and max(cores) > 33.5
    breasts = [t.breast[0] for t in heats]
    assert min(breasts) < -1.5 and max(breasts) > 0.3  # cooler and warmer than the chest
    assert any(t.garment is not None for t in heats) and any(t.objects for t in heats)
    assert {np.sign(t.areola[0]) for t in heats} == {-1.0, 1.0}
    asym = [abs(b.breasts[0].r_lower - b.breasts[1].r_lower) for b in bodies]
    assert max(asym) > 0.8


def test_every_drawn_breast_is_a_valid_tapered_shape() -> None:
    for i in range(3000):
        for b in draw_body(np.random.default_rng([5, i])).breasts:
            assert abs(b.r_lower - b.r_upper) < b.length
            assert b.r_upper > 0 and b.r_lower > 0


def test_frames_are_finite_across_many_subjects() -> None:
    for index in range(60):
        phantom = generate_c(2, index, view="wide")
        assert np.isfinite(phantom.celsius).all(), index


def test_lesion_looks_cover_all_five_and_advanced_often_has_both_breasts() -> None:
    rng = np.random.default_rng(3)
    looks = Counter(spec.look for _ in range(300) for spec in draw_lesions_c(rng, "middle"))
    assert set(looks) == set(LOOKS)
    advanced = [draw_lesions_c(rng, "advanced") for _ in range(200)]
    both = [specs for specs in advanced if len({s.side for s in specs}) == 2]
    assert 0.4 < len(both) / len(advanced) < 0.8
    initial = [spec for _ in range(200) for spec in draw_lesions_c(rng, "initial")]
    assert {spec.look for spec in initial} == {"focal", "diffuse"}
    assert draw_lesions_c(rng, "normal") == []


@pytest.mark.parametrize("kwargs", [{"view": "side"}, {"resolution": "vga"}, {"stage": "late"}])
def test_bad_arguments_name_the_field(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        generate_c(1, 1, **kwargs)  # type: ignore[arg-type]


def test_negative_index_is_refused() -> None:
    with pytest.raises(ConfigError, match="index"):
        generate_c(1, -1)


def test_write_dataset_round_trips_family_c(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path, 5, 6, view="wide", family="c")
    lines = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [line["family"] for line in lines] == ["c"] * 5
    assert [line["stage"] for line in lines] == [stage_for(6, i) for i in range(5)]
    for label, line in zip(labels, lines, strict=True):
        phantom = generate_c(6, label.index, view="wide")
        assert line == {**phantom.label.to_dict(), "file": f"{label.subject}.npy"}
        np.testing.assert_array_equal(np.load(tmp_path / line["file"]), phantom.celsius)
        roi = read_mask(tmp_path / "breast" / f"{label.subject}.png")
        mask = read_mask(tmp_path / "masks" / f"{label.subject}.png")
        np.testing.assert_array_equal(roi, phantom.breast)
        np.testing.assert_array_equal(mask, phantom.abnormal)
