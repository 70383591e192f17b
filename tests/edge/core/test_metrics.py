"""Pixel and frame metrics, and the dataset accumulator, on masks with known counts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.core.metrics import (
    Evaluation,
    ImageConfusion,
    PixelCounts,
    dice,
    format_markdown,
    iou,
    precision,
    recall,
)
from edge.errors import FrameError, ThermosegError


def masks() -> tuple[np.ndarray, np.ndarray]:
    """Prediction 6 px, truth 4 px, overlap 3 px, in a 4x4 image."""
    pred = np.zeros((4, 4), dtype=np.uint8)
    truth = np.zeros((4, 4), dtype=np.uint8)
    pred[0, :3] = 1
    pred[1, :3] = 1
    truth[0, :3] = 1
    truth[3, 3] = 1
    return pred, truth


def test_pixel_metrics_of_known_overlap() -> None:
    pred, truth = masks()
    assert PixelCounts.of(pred, truth) == PixelCounts(tp=3, fp=3, fn=1, tn=9)
    assert dice(pred, truth) == pytest.approx(6 / 10)
    assert iou(pred, truth) == pytest.approx(3 / 7)
    assert precision(pred, truth) == pytest.approx(3 / 6)
    assert recall(pred, truth) == pytest.approx(3 / 4)


def test_two_empty_masks_agree_perfectly() -> None:
    none = np.zeros((8, 8), dtype=np.uint8)
    assert dice(none, none) == iou(none, none) == precision(none, none) == recall(none, none) == 1.0


def test_one_empty_mask_against_a_non_empty_one_scores_zero_overlap() -> None:
    none = np.zeros((8, 8), dtype=np.uint8)
    some = none.copy()
    some[2, 2] = 1
    assert dice(some, none) == iou(some, none) == 0.0
    assert precision(none, some) == 1.0 and recall(none, some) == 0.0
    assert precision(some, none) == 0.0 and recall(some, none) == 1.0


def test_masks_saved_as_0_255_count_like_0_1() -> None:
    pred, truth = masks()
    assert dice(pred * 255, truth) == dice(pred, truth)


def test_mismatched_mask_shapes_raise_frame_error_naming_both() -> None:
    with pytest.raises(FrameError, match=r"\(4, 4\).*\(5, 5\)"):
        dice(np.zeros((4, 4)), np.zeros((5, 5)))


def test_pixel_counts_add_up() -> None:
    a = PixelCounts(1, 2, 3, 4)
    assert a + PixelCounts(10, 20, 30, 40) == PixelCounts(11, 22, 33, 44)


def test_image_confusion_rates() -> None:
    c = ImageConfusion()
    for pred, truth in [(True, True), (True, True), (False, True), (False, False), (True, False)]:
        c = c.add(pred, truth)
    assert c == ImageConfusion(tp=2, fp=1, tn=1, fn=1)
    assert c.sensitivity == pytest.approx(2 / 3) and c.specificity == pytest.approx(1 / 2)
    assert ImageConfusion().sensitivity is None and ImageConfusion().specificity is None


def test_evaluation_summary_micro_dice_mean_dice_and_frame_rates() -> None:
    ev = Evaluation()
    pred, truth = masks()  # Dice 0.6, abnormal truth
    ev.add(pred, truth, pred_abnormal=True, truth_abnormal=True, seconds=0.5)
    perfect = np.zeros((4, 4), dtype=np.uint8)
    perfect[2, 2] = 1  # Dice 1.0, abnormal truth
    ev.add(perfect, perfect, pred_abnormal=True, truth_abnormal=True, seconds=0.25)
    none = np.zeros((4, 4), dtype=np.uint8)
    ev.add(pred, none, pred_abnormal=True, truth_abnormal=False, seconds=0.25)  # false alarm
    s = ev.summary()
    # micro: tp 3+1, fp 3+0+6, fn 1 -> 8 / (8 + 9 + 1)
    assert s["pixels"] == {"tp": 4, "fp": 9, "fn": 1, "tn": 34}
    assert s["dice"] == pytest.approx(8 / 18)
    assert s["dice_mean"] == pytest.approx((0.6 + 1.0) / 2)  # the normal frame is not in it
    assert s["iou"] == pytest.approx(4 / 14)
    assert s["precision"] == pytest.approx(4 / 13) and s["recall"] == pytest.approx(4 / 5)
    assert s["sensitivity"] == 1.0 and s["specificity"] == 0.0
    assert s["frames"] == 3 and s["fps"] == pytest.approx(3.0)
    assert s["images"] == {"tp": 2, "fp": 1, "tn": 0, "fn": 0}
    json.dumps(s)


def test_empty_evaluation_has_no_rates_to_report() -> None:
    s = Evaluation().summary()
    assert s["frames"] == 0 and s["fps"] is None and s["dice_mean"] is None
    assert s["sensitivity"] is None and s["specificity"] is None


def test_negative_seconds_are_refused() -> None:
    pred, truth = masks()
    with pytest.raises(ThermosegError, match="seconds"):
        Evaluation().add(pred, truth, pred_abnormal=True, truth_abnormal=True, seconds=-1.0)


def test_markdown_table_has_a_row_per_method_and_dashes_for_missing_values() -> None:
    ev = Evaluation()
    pred, truth = masks()
    ev.add(pred, truth, pred_abnormal=True, truth_abnormal=True, seconds=0.1)
    table = format_markdown([("codebook", ev.summary()), ("unet|lite", Evaluation().summary())])
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("| Method | Dice |") and lines[1].startswith("|---|")
    assert lines[2].startswith("| codebook | 0.600 |")
    assert "| 10.0 |" in lines[2]  # frames/s
    assert lines[3].startswith("| unet/lite |") and "–" in lines[3]
    assert all(line.count("|") == lines[0].count("|") for line in lines)
