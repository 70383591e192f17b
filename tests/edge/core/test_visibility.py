"""Lesion visibility (contrast over the skin's own clutter) on hand-made frames, and its bins
in an :class:`Evaluation` fed through the one screening path."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core._visibility import CLUTTER_FLOOR_C, ccr_bin, lesion_visibility
from edge.core.analysis import AnalysisConfig
from edge.core.frame import Frame
from edge.core.metrics import Evaluation
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from tests.edge.core.fields import empty, roi_rows, square, torso


def _mottled(sigma: float, seed: int = 0) -> np.ndarray:
    field = torso()
    body = field > 30
    rng = np.random.default_rng(seed)
    field[body] += rng.normal(0.0, sigma, int(body.sum())).astype(np.float32)
    return field


def test_contrast_over_clutter_reads_the_lesion_against_the_skins_own_mottling() -> None:
    field = _mottled(0.4)
    truth = square(empty(), 50, 50, 8)
    field[truth > 0] += 2.0
    (v,) = lesion_visibility(field, truth, empty(), roi_rows(20, 110))
    # p95 of the lesion sits ~1.6 sigma above its 2 °C step; white noise keeps most of its spread
    # after the blur is taken away.
    assert v.contrast_c == pytest.approx(2.0 + 1.6 * 0.4, abs=0.25)
    assert v.clutter_c == pytest.approx(0.4, rel=0.2)
    assert v.pixels == 64 and v.recall == 0.0
    quiet = lesion_visibility(_mottled(0.1) + 2.0 * truth, truth, empty(), roi_rows(20, 110))
    assert quiet[0].ccr > 2 * v.ccr  # the same lesion stands out more on calmer skin


def test_recall_is_the_share_of_each_lesions_pixels_that_was_segmented() -> None:
    field = _mottled(0.2)
    truth = square(square(empty(), 30, 40, 10), 70, 100, 10)
    predicted = empty()
    predicted[30:35, 40:50] = 1  # half of the first lesion, none of the second
    found = sorted(lesion_visibility(field, truth, predicted), key=lambda v: -v.recall)
    assert [v.recall for v in found] == [0.5, 0.0]


def test_a_lesion_without_skin_around_it_is_unmeasured_and_a_flat_one_meets_the_noise_floor() -> (
    None
):
    field = torso()  # no mottling: the clutter reads zero and is floored at sensor noise
    truth = square(empty(), 50, 50, 6)
    field[truth > 0] += 1.0
    (flat,) = lesion_visibility(field, truth, truth)
    assert flat.clutter_c == CLUTTER_FLOOR_C and flat.recall == 1.0
    everything = np.ones_like(truth)
    (whole,) = lesion_visibility(field, everything, empty())
    assert whole.ccr is None and ccr_bin(whole.ccr) == "unmeasured"
    assert lesion_visibility(field, empty(), empty()) == []


@pytest.mark.parametrize(
    ("ccr", "label"), [(0.0, "<3"), (2.99, "<3"), (3.0, "3-6"), (5.9, "3-6"), (6.0, ">=6")]
)
def test_bins_are_closed_below(ccr: float, label: str) -> None:
    assert ccr_bin(ccr) == label


def test_an_evaluation_bins_each_lesion_and_each_abnormal_frame_by_visibility() -> None:
    ev = Evaluation()
    # On 0.2 °C mottling: a step lost in it, a marginal one, a plain one; one frame each.
    for i, step in enumerate((0.05, 0.6, 3.0)):
        field = _mottled(0.2, seed=i)
        truth = square(empty(), 50, 40, 8)
        field[truth > 0] += step
        frame = Frame(field, "celsius", float(i), i, "test")
        decision = screen_frame(
            frame,
            lambda rgb: np.zeros(rgb.shape[:2], np.uint8),  # finds nothing: every frame missed
            PreprocessConfig.model_validate({}),
            AnalysisConfig(),
        )
        ev.add_decision(decision, truth)
    vis = ev.summary()["visibility"]
    assert vis["ccr_edges"] == [3.0, 6.0]
    bins = vis["bins"]
    assert [bins[k]["lesions"] for k in ("<3", "3-6", ">=6", "unmeasured")] == [1, 1, 1, 0]
    assert [bins[k]["frames"] for k in ("<3", "3-6", ">=6", "unmeasured")] == [1, 1, 1, 0]
    assert all(b["segmented"] == 0 and b["flagged"] == 0 for b in bins.values())
    assert bins["<3"]["recall_mean"] == 0.0 and bins["unmeasured"]["recall_mean"] is None


def test_a_normal_frame_adds_no_visibility_and_none_is_reported_without_lesions() -> None:
    ev = Evaluation()
    frame = Frame(_mottled(0.2), "celsius", 0.0, 0, "test")
    decision = screen_frame(
        frame,
        lambda rgb: np.zeros(rgb.shape[:2], np.uint8),
        PreprocessConfig.model_validate({}),
        AnalysisConfig(),
    )
    ev.add_decision(decision, empty())
    assert ev.frames == 1 and ev.summary()["visibility"] is None


def test_a_pseudo_colour_frame_has_no_temperatures_to_read_visibility_from() -> None:
    ev = Evaluation()
    rgb = np.full((120, 160, 3), 90, np.uint8)
    truth = square(empty(), 50, 40, 8)
    decision = screen_frame(
        Frame(rgb, "rgb", 0.0, 0, "test"),
        lambda image: np.zeros(image.shape[:2], np.uint8),
        PreprocessConfig.model_validate({}),
        AnalysisConfig(),
    )
    ev.add_decision(decision, truth)
    assert ev.images.fn == 1 and ev.summary()["visibility"] is None
