"""Warm regions of a mask, each measured and ruled on (:mod:`edge.core.analysis`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from edge.core import _delta_t as dt
from edge.core import _local
from edge.core._delta_t import Rule
from edge.core.imaging import components_in_bounds
from edge.core.roi import BreastROI

if TYPE_CHECKING:
    from edge.core.analysis import AnalysisConfig

__all__ = ["Found", "Region", "find_regions", "rounded"]


def rounded(value: float | None, digits: int = 3) -> float | None:
    """``value`` rounded for JSON, None kept."""
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class Region:
    """One warm region; coordinates are pixels of the analysed mask, (x, y) = (column, row)."""

    id: int
    bbox: tuple[int, int, int, int]
    area_px: int
    area_pct: float
    centroid: tuple[float, float]
    side: Literal["left", "right"]
    max_c: float | None = None
    mean_c: float | None = None
    delta_t_c: float | None = None
    delta_t_peak_c: float | None = None
    excess_c: float | None = None
    local_excess_c: float | None = None
    roi_overlap: float = 1.0
    counted: bool = True
    rule: Rule | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable view (floats rounded to 3 decimals)."""
        return {
            "id": self.id,
            "bbox": list(self.bbox),
            "area_px": self.area_px,
            "area_pct": rounded(self.area_pct),
            "centroid": [rounded(self.centroid[0]), rounded(self.centroid[1])],
            "side": self.side,
            "max_c": rounded(self.max_c),
            "mean_c": rounded(self.mean_c),
            "delta_t_c": rounded(self.delta_t_c),
            "delta_t_peak_c": rounded(self.delta_t_peak_c),
            "excess_c": rounded(self.excess_c),
            "local_excess_c": rounded(self.local_excess_c),
            "roi_overlap": rounded(self.roi_overlap),
            "counted": self.counted,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Found:
    """The regions of a mask, largest first, with the labels they came from."""

    regions: list[Region]
    labels: np.ndarray  # component labels of the part of the mask that holds regions
    origin: tuple[int, int]  # (x, y) of ``labels``' first pixel in the frame
    ids: list[int]  # each region's label
    score: float  # the frame's score (see Analysis.score)


def find_regions(
    fg: npt.NDArray[np.uint8],
    celsius: npt.NDArray[np.float32] | None,
    roi: BreastROI,
    min_area: int,
    denom: int,
    cfg: AnalysisConfig,
) -> Found:
    """The regions of the 0/1 mask ``fg`` of at least ``min_area`` pixels (``denom``: the body
    area their ``area_pct`` is of), each measured against its mirror site and ruled on."""
    midline = roi.midline_x
    roi_area = max(int(np.count_nonzero(roi.mask)), 1)  # a 0/1 mask: its sum

    # Labels of the part of the mask that holds regions (origin ox, oy), stats and centroids in
    # frame pixels.
    if fg.any():
        n, labels, stats, centroids, (ox, oy) = components_in_bounds(fg)
    else:  # most frames segment nothing: labelling would find no component anyway
        n, labels, stats, centroids = 1, fg, np.zeros((1, 5), np.int32), np.zeros((1, 2))
        ox = oy = 0
    found = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    found.sort(key=lambda i: (-int(stats[i, cv2.CC_STAT_AREA]), i))
    smooth = reference = None
    # Each side's ROI median is taken when a region on that side first needs it: most frames
    # with regions have them on one side only.
    side_medians: dict[Literal["left", "right"], float | None] = {}
    ring = 0
    if found and celsius is not None:
        smooth, reference = dt.smoothed(celsius, roi.chest_width_px, cfg)
        ring = _local.ring_px(cfg.local_ring_frac, roi.chest_width_px)
    regions: list[Region] = []
    score = 0.0
    for rid, i in enumerate(found, start=1):
        x, y, w, h, area = (int(v) for v in stats[i, :5])
        cx, cy = float(centroids[i][0]), float(centroids[i][1])
        # Only the region's bounding box can hold its pixels (same pixels, same order).
        footprint = labels[y - oy : y - oy + h, x - ox : x - ox + w] == i
        ys, xs = np.nonzero(footprint)
        ys += y
        xs += x
        overlap = dt.region_mean(roi.mask[ys, xs])
        side: Literal["left", "right"] = "left" if cx < midline else "right"
        measure = None
        if celsius is not None and smooth is not None and reference is not None:
            if side not in side_medians:
                side_medians[side] = dt.side_median(celsius, roi, side)
            local = _local.local_excess(
                footprint,
                (x, y),
                smooth,
                fg,
                roi.body,
                midline,
                side,
                ring,
                cfg.peak_quantile,
            )
            measure = dt.measure(
                ys,
                xs,
                celsius,
                smooth,
                reference,
                midline,
                side_medians[side],
                cfg.peak_quantile,
                local,
            )
        rule, reason = dt.rule(measure, overlap, 100.0 * area / roi_area, cfg)
        if overlap >= cfg.roi_min_overlap or cfg.decision == "regions":
            score = max(score, dt.score(measure, 100.0 * area / roi_area, cfg))
        regions.append(
            Region(
                id=rid,
                bbox=(x, y, w, h),
                area_px=area,
                area_pct=100.0 * area / denom,
                centroid=(cx, cy),
                side=side,
                max_c=None if measure is None else measure.max_c,
                mean_c=None if measure is None else measure.mean_c,
                delta_t_c=None if measure is None else measure.delta,
                delta_t_peak_c=None if measure is None else measure.peak,
                excess_c=None if measure is None else measure.excess,
                local_excess_c=None if measure is None else measure.local,
                roi_overlap=overlap,
                counted=rule is not None,
                rule=rule,
                reason=reason,
            )
        )
    return Found(regions, labels, (ox, oy), found, score)
