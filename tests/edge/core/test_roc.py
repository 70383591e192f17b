"""Image-level ROC on score lists whose curves are known."""

from __future__ import annotations

import pytest

from edge.core.roc import roc_curve


def test_perfectly_separated_scores_give_auc_one() -> None:
    curve = roc_curve([0.1, 0.2, 0.8, 0.9], [False, False, True, True])
    assert curve.auc == pytest.approx(1.0)
    assert (curve.fpr[0], curve.tpr[0]) == (0.0, 0.0) and (curve.fpr[-1], curve.tpr[-1]) == (1, 1)


def test_reversed_scores_give_auc_zero_and_ties_give_one_half() -> None:
    assert roc_curve([0.9, 0.8, 0.2, 0.1], [False, False, True, True]).auc == pytest.approx(0.0)
    assert roc_curve([0.5, 0.5, 0.5, 0.5], [False, True, False, True]).auc == pytest.approx(0.5)


def test_each_threshold_flags_the_scores_that_reach_it() -> None:
    curve = roc_curve([0.0, 1.0, 2.0], [False, True, True])
    point = dict(zip(curve.thresholds, zip(curve.fpr, curve.tpr, strict=True), strict=True))
    assert point[2.0] == (0.0, 0.5) and point[1.0] == (0.0, 1.0) and point[0.0] == (1.0, 1.0)
    assert curve.to_dict()["positives"] == 2


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 scores but 1 labels"):
        roc_curve([0.0, 1.0], [True])
