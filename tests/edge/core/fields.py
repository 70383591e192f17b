"""Hand-made temperature fields, masks and breast ROIs whose decision answers are known."""

from __future__ import annotations

import numpy as np

from edge.core.roi import BreastROI

H, W = 120, 160


def torso() -> np.ndarray:
    """A flat, left-right symmetric 33 °C body (columns 20..139) on a 22 °C room."""
    field = np.full((H, W), 22.0, dtype=np.float32)
    field[10:115, 20:140] = 33.0
    return field


def square(mask: np.ndarray, y: int, x: int, side: int) -> np.ndarray:
    mask[y : y + side, x : x + side] = 1
    return mask


def empty() -> np.ndarray:
    return np.zeros((H, W), dtype=np.uint8)


def roi_rows(y0: int, y1: int) -> BreastROI:
    """A hand-made breast ROI: rows y0..y1 of the body, midline at the body's centre."""
    body = torso() > 30
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[y0:y1] = body[y0:y1]
    return BreastROI(mask, body, 79.5, (20, y0, 140, y1), "closeup", 120.0)
