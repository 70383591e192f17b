"""Image-level ROC: sensitivity and specificity over a sweep of the decision threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["RocCurve", "roc_curve"]


@dataclass(frozen=True)
class RocCurve:
    """Points (false-positive rate, true-positive rate) from the strictest threshold down."""

    thresholds: tuple[float, ...]
    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    auc: float
    positives: int
    negatives: int

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable view."""
        return {
            "auc": round(self.auc, 4),
            "positives": self.positives,
            "negatives": self.negatives,
            "points": [
                {"threshold": round(t, 4), "fpr": round(f, 4), "tpr": round(p, 4)}
                for t, f, p in zip(self.thresholds, self.fpr, self.tpr, strict=True)
            ],
        }


def roc_curve(scores: Sequence[float], labels: Sequence[bool]) -> RocCurve:
    """ROC of ``score >= threshold`` against ``labels`` (True = sick/abnormal).

    Thresholds are every distinct score (a frame is flagged when its score reaches the
    threshold), from +inf (nothing flagged) down; AUC by the trapezoidal rule. A class with no
    member gives rates of 0 for it (the curve then says nothing about that axis)."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    thresholds = [float("inf"), *sorted(set(s.tolist()), reverse=True)]
    fpr: list[float] = []
    tpr: list[float] = []
    for t in thresholds:
        flagged = s >= t
        tpr.append(float((flagged & y).sum() / pos) if pos else 0.0)
        fpr.append(float((flagged & ~y).sum() / neg) if neg else 0.0)
    auc = float(np.trapezoid(tpr, fpr)) if len(fpr) > 1 else 0.0
    return RocCurve(tuple(thresholds), tuple(fpr), tuple(tpr), auc, pos, neg)
