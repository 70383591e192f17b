"""The contralateral ΔT of a region and the decision rules on it (:mod:`edge.core.analysis`).

A region's pixels are compared, in the frame smoothed by ``blur_frac`` of the chest width, with
their mirror sites across the midline (or the warmest smoothed pixel near them), and with the
median of the same breast's ROI; :func:`rule` says which rule makes the region count, or why it
does not, and :func:`score` how far every threshold could be raised with it still counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from edge.core._median import median
from edge.core.roi import BreastROI

if TYPE_CHECKING:
    from edge.core.analysis import AnalysisConfig

__all__ = [
    "Measure",
    "Rule",
    "measure",
    "region_mean",
    "region_quantile",
    "rule",
    "score",
    "side_median",
    "smoothed",
]

Rule = Literal["focal_delta_t", "diffuse_delta_t", "local", "baseline_excess", "region"]


@dataclass(frozen=True)
class Measure:
    """Temperatures of one region (°C), against its mirror site and its breast."""

    max_c: float
    mean_c: float
    delta: float | None
    peak: float | None
    excess: float | None
    local: float | None = None  # peak over the surrounding ring (edge.core._local)


def measure(
    ys: np.ndarray,
    xs: np.ndarray,
    celsius: npt.NDArray[np.float32],
    smooth: npt.NDArray[np.float32],
    reference: npt.NDArray[np.float32],
    midline: float,
    side_median: float | None,
    quantile: float,
    local: float | None = None,
) -> Measure:
    """The temperatures of the region with pixels ``(ys, xs)`` (°C); ``local`` is its
    :func:`~edge.core._local.local_excess`, carried along."""
    values = celsius[ys, xs]
    max_c, mean_c = float(values.max()), region_mean(values)
    mx = np.rint(2.0 * midline - xs).astype(np.intp)
    ok = (mx >= 0) & (mx < celsius.shape[1])
    delta = peak = None
    if not ok.all():  # the usual region has every mirror site in the frame: no selection
        ys, xs, mx = ys[ok], xs[ok], mx[ok]
    if mx.size:
        # Left and right are never pixel-aligned: a pixel's peak ΔT is taken against the
        # warmest smoothed pixel near its mirror site, so symmetric warmth never counts.
        diff = smooth[ys, xs] - reference[ys, mx]
        delta = region_mean(diff)
        peak = region_quantile(diff, quantile)
    excess = None if side_median is None else mean_c - side_median
    return Measure(max_c, mean_c, delta, peak, excess, local)


def region_mean(values: np.ndarray) -> float:
    """``float(values.mean())``, the same arithmetic (so the same bits) without its generic
    machinery, which costs more than the sum itself on a region's pixels."""
    total = np.add.reduce(values, dtype=np.float64 if values.dtype.kind in "biu" else None)
    return float(total.dtype.type(total / np.intp(values.size)))


def region_quantile(values: npt.NDArray[np.floating[Any]], q: float) -> float:
    """``float(np.quantile(values, q))`` (its default linear method, the same arithmetic and so
    the same bits) without its generic machinery, which costs ~10x more on a region's pixels."""
    n = values.size
    virtual = (n - 1) * q
    lo = int(np.floor(virtual))
    hi = min(lo + 1, n - 1)
    part = np.partition(values, (lo, hi) if hi != lo else lo)
    a, b = part[lo], part[hi]
    t = virtual - lo
    diff = b - a
    # numpy's _lerp: from the nearer end, in the array's dtype (a Python float weight is weak).
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def rule(
    m: Measure | None, overlap: float, area_pct_roi: float, cfg: AnalysisConfig
) -> tuple[Rule | None, str]:
    """Which rule makes a region count, or why it does not."""
    if cfg.decision == "regions":
        return "region", ""
    if overlap < cfg.roi_min_overlap:
        return None, "outside the breast ROI"
    if m is None:  # pseudo-colour: no temperatures to compare
        return "region", ""
    if m.peak is not None and m.peak >= cfg.focal_delta_t_c:
        return "focal_delta_t", ""
    if (
        m.delta is not None
        and m.delta >= cfg.diffuse_delta_t_c
        and area_pct_roi >= cfg.diffuse_min_area_pct
    ):
        return "diffuse_delta_t", ""
    if cfg.local_excess_c is not None and m.local is not None and m.local >= cfg.local_excess_c:
        return "local", ""
    if (
        cfg.baseline_excess_c is not None
        and m.excess is not None
        and m.excess >= cfg.baseline_excess_c
    ):
        return "baseline_excess", ""
    if cfg.local_excess_c is None:
        local = ""
    elif m.local is None:  # too few ring pixels, or the midline cuts its surroundings off
        local = "; no surroundings to compare with"
    else:
        local = "; not warmer than its surroundings"
    if m.peak is None:
        return None, "no contralateral site in the frame" + local
    return None, "symmetric: ΔT below the focal and diffuse thresholds" + local


def score(m: Measure | None, area_pct_roi: float, cfg: AnalysisConfig) -> float:
    """The largest threshold factor at which a region in the ROI still counts."""
    if m is None or cfg.decision == "regions":
        return 1.0
    ratios = [0.0]
    if m.peak is not None:
        ratios.append(m.peak / cfg.focal_delta_t_c)
    if m.delta is not None and area_pct_roi >= cfg.diffuse_min_area_pct:
        ratios.append(m.delta / cfg.diffuse_delta_t_c)
    if cfg.local_excess_c is not None and m.local is not None:
        ratios.append(m.local / cfg.local_excess_c)
    if cfg.baseline_excess_c is not None and m.excess is not None:
        ratios.append(m.excess / cfg.baseline_excess_c)
    return max(ratios)


def smoothed(
    celsius: npt.NDArray[np.float32], chest_px: float, cfg: AnalysisConfig
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The frame smoothed by ``blur_frac`` and its local maximum over ``align_frac`` (°C)."""
    sigma = cfg.blur_frac * chest_px
    smooth = np.asarray(
        cv2.GaussianBlur(celsius, (0, 0), sigma) if sigma >= 0.3 else celsius, dtype=np.float32
    )
    if cfg.mirror_reference == "mean":
        return smooth, smooth  # both sides smoothed alike: symmetric warmth cancels
    radius = round(cfg.align_frac * chest_px)
    if radius < 1:
        return smooth, smooth
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return smooth, np.asarray(cv2.dilate(smooth, kernel), dtype=np.float32)


def side_median(
    celsius: npt.NDArray[np.float32], roi: BreastROI, side: Literal["left", "right"]
) -> float | None:
    """Median °C of one side's ROI (the breast's own baseline), None where it is empty."""
    # Only the crop box is searched when it holds the whole ROI (find_roi's always does), and
    # the side is a column slice: no frame-size masks per side.
    x0, y0, x1, y1 = roi.box
    inside = roi.mask[y0:y1, x0:x1] > 0
    if np.count_nonzero(inside) != np.count_nonzero(roi.mask):
        x0, y0, x1, y1 = 0, 0, roi.mask.shape[1], roi.mask.shape[0]
        inside = roi.mask > 0
    box = celsius[y0:y1, x0:x1]
    split = min(max(int(np.ceil(roi.midline_x)) - x0, 0), x1 - x0)  # x < midline_x before it
    cols = slice(None, split) if side == "left" else slice(split, None)
    values = box[:, cols][inside[:, cols]]
    return median(values) if values.size else None
