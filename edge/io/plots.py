"""Small figures drawn with OpenCV (the device runtime has no plotting library)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.core.roc import RocCurve
from edge.io.overlay import write_png

__all__ = ["write_roc_png"]


def write_roc_png(
    path: str | Path,
    curve: RocCurve,
    *,
    title: str = "",
    operating_point: tuple[float, float] | None = None,
    size: int = 400,
) -> None:
    """The ROC curve as a PNG: FPR on x, TPR on y, the diagonal, the AUC and the default point."""
    pad = 50
    img = np.full((size + 2 * pad, size + 2 * pad, 3), 255, dtype=np.uint8)

    def xy(fpr: float, tpr: float) -> tuple[int, int]:
        return round(pad + fpr * size), round(pad + (1.0 - tpr) * size)

    black, grey, blue, red = (0, 0, 0), (180, 180, 180), (30, 90, 200), (220, 40, 40)
    cv2.rectangle(img, xy(0, 1), xy(1, 0), black, 1)
    cv2.line(img, xy(0, 0), xy(1, 1), grey, 1)
    pts = np.array([xy(f, t) for f, t in zip(curve.fpr, curve.tpr, strict=True)], np.int32)
    cv2.polylines(img, [pts], False, blue, 2, cv2.LINE_AA)
    if operating_point is not None:
        cv2.circle(img, xy(*operating_point), 5, red, -1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, "false-positive rate (1 - specificity)", (pad, size + pad + 30), font, 0.45, black, 1, cv2.LINE_AA)  # fmt: skip
    cv2.putText(img, "sensitivity", (5, pad - 10), font, 0.45, black, 1, cv2.LINE_AA)
    label = f"{title}  AUC {curve.auc:.3f}  (n+ {curve.positives}, n- {curve.negatives})"
    cv2.putText(img, label.strip(), (pad, 20), font, 0.45, black, 1, cv2.LINE_AA)
    write_png(path, img)
