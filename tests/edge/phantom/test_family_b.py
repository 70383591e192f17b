"""edge.phantom.family_b: the out-of-family phantom generator, its determinism and truth rules."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from edge.errors import ConfigError
from edge.phantom.family_b import (
    ABNORMAL_EXCESS_C,
    generate_b,
    render_parts_b,
    stage_for_b,
)

VIEWS = ("closeup", "wide")
ABNORMAL_STAGES = ("initial", "middle", "advanced")


@pytest.mark.parametrize("view", VIEWS)
def test_same_arguments_give_identical_phantoms(view: str) -> None:
    a = generate_b(3, 7, view=view)
    b = generate_b(3, 7, view=view)
    np.testing.assert_array_equal(a.celsius, b.celsius)
    np.testing.assert_array_equal(a.abnormal, b.abnormal)
    np.testing.assert_array_equal(a.breast, b.breast)
    assert a.label == b.label


def test_different_index_gives_a_different_subject() -> None:
    a = generate_b(3, 7, stage="middle")
    b = generate_b(3, 8, stage="middle")
    assert not np.array_equal(a.breast, b.breast)
    assert a.label.subject != b.label.subject


def test_noise_seed_changes_only_the_sensor_noise() -> None:
    first = generate_b(4, 1, noise_seed=0)
    second = generate_b(4, 1, noise_seed=1)
    np.testing.assert_array_equal(first.abnormal, second.abnormal)
    assert first.label == second.label
    difference = first.celsius - second.celsius
    # Two NETD draws differ by 50 mK * sqrt(2); the fixed pattern cancels.
    assert 0.05 < float(difference.std()) < 0.1


@pytest.mark.parametrize(
    ("resolution", "view", "shape"),
    [
        ("lepton", "closeup", (120, 160)),
        ("lepton", "wide", (120, 160)),
        ("dmr", "wide", (480, 640)),
    ],
)
def test_shapes_dtypes_and_subject_id(resolution: str, view: str, shape: tuple[int, int]) -> None:
    phantom = generate_b(2, 5, resolution=resolution, view=view)  # type: ignore[arg-type]
    assert phantom.celsius.shape == phantom.abnormal.shape == phantom.breast.shape == shape
    assert phantom.celsius.dtype == np.float32
    assert phantom.abnormal.dtype == phantom.breast.dtype == np.uint8
    assert set(np.unique(phantom.abnormal)) <= {0, 1}
    assert set(np.unique(phantom.breast)) == {0, 1}
    assert phantom.label.subject == f"synthb-{view}-0002-00005"
    assert phantom.label.resolution == resolution


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("index", range(6))
def test_abnormal_is_exactly_where_lesions_add_half_a_degree_inside_the_breast(
    view: str, index: int
) -> None:
    stage = ABNORMAL_STAGES[index % 3]
    parts = render_parts_b(9, index, stage=stage, view=view)  # type: ignore[arg-type]
    expected = (parts.with_lesions - parts.without_lesions) >= np.float32(ABNORMAL_EXCESS_C)
    np.testing.assert_array_equal(parts.abnormal, expected.astype(np.uint8))
    assert parts.abnormal.any()
    assert not (parts.abnormal & (1 - parts.breast)).any()
    assert len(parts.label.lesions) >= 1
    phantom = generate_b(9, index, stage=stage, view=view)  # type: ignore[arg-type]
    np.testing.assert_allclose(phantom.celsius, parts.with_lesions + parts.noise, atol=1e-5)


@pytest.mark.parametrize("view", VIEWS)
def test_normal_subjects_have_no_lesion_and_an_empty_mask(view: str) -> None:
    for index in range(4):
        parts = render_parts_b(5, index, stage="normal", view=view)
        np.testing.assert_array_equal(parts.with_lesions, parts.without_lesions)
        assert not parts.abnormal.any()
        assert parts.label.lesions == ()


def test_lesion_centres_lie_in_the_breast_region_at_the_dmr_size() -> None:
    for index in range(4):
        parts = render_parts_b(6, index, stage="advanced", resolution="dmr", view="wide")
        assert not (parts.abnormal & (1 - parts.breast)).any()
        for lesion in parts.label.lesions:
            y, x = (round(c) for c in lesion.center_yx)
            assert parts.breast[y, x] == 1


def test_the_breast_region_lies_on_skin() -> None:
    parts = render_parts_b(7, 2, view="wide")
    assert (parts.body_alpha[parts.breast == 1] > 0.5).all()


def test_wide_normal_subjects_are_warmest_outside_the_breast_region() -> None:
    outside = []
    for index in range(6):
        parts = render_parts_b(8, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        temps = parts.without_lesions[body]
        hot = parts.without_lesions >= np.quantile(temps, 0.99)
        hot &= body
        outside.append(float((hot & (parts.breast == 0)).sum() / hot.sum()))
        # Warm zones without any lesion: the hottest 1 % is well above the body median.
        assert np.quantile(temps, 0.99) - np.median(temps) > 1.5
    assert np.median(outside) > 0.8


def test_default_stage_mix_is_about_half_normal() -> None:
    counts = Counter(stage_for_b(1, index) for index in range(400))
    assert 0.4 < counts["normal"] / 400 < 0.6
    for stage in ABNORMAL_STAGES:
        assert counts[stage] > 40
    assert generate_b(1, 3).label.stage == stage_for_b(1, 3)


@pytest.mark.parametrize(
    "kwargs",
    [{"view": "side"}, {"resolution": "vga"}, {"stage": "late"}],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        generate_b(1, 1, **kwargs)  # type: ignore[arg-type]


def test_negative_index_is_refused() -> None:
    with pytest.raises(ConfigError, match="index"):
        generate_b(1, -1)


def test_cool_skinned_subjects_carry_lesions_too() -> None:
    cool = []
    for index in range(60):
        parts = render_parts_b(2, index, stage="middle")
        if parts.label.offset_c < -1.0:
            cool.append(parts)
        if len(cool) == 3:
            break
    assert len(cool) == 3
    assert all(parts.abnormal.any() for parts in cool)


def test_wide_views_have_room_ambient_and_skin_temperatures() -> None:
    for index in range(4):
        parts = render_parts_b(4, index, stage="normal", view="wide")
        body = parts.body_alpha > 0.99
        background = parts.body_alpha < 0.01
        assert 28.0 < float(np.median(parts.without_lesions[body])) < 35.5
        assert 17.0 < float(np.median(parts.without_lesions[background])) < 29.0
        assert 0.5 < float(body.mean()) < 0.95


def test_closeup_frames_the_breasts_larger_than_the_wide_view() -> None:
    for index in range(3):
        closeup = render_parts_b(3, index, stage="normal", view="closeup")
        wide = render_parts_b(3, index, stage="normal", view="wide")
        assert closeup.breast.mean() > 1.3 * wide.breast.mean()
        # Same subject, other framing: the subject's skin offset does not change.
        assert closeup.label.offset_c == wide.label.offset_c
