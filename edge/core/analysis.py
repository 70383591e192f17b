"""Region analysis of a segmentation mask: warm regions, their sides, ΔT and a grade.

:func:`analyse` works at the mask's own resolution (normally the input frame's):

* **Regions** are the 8-connected components of the mask with at least ``min_region_px``
  pixels (or ``min_region_frac`` of the body, whichever is larger).
* **Body** is given, or Otsu's threshold on °C (the body is warmer than the room), or, for
  pseudo-colour input, every pixel whose colour differs from the border's background colour.
  Mask pixels always count as body.
* **Midline** ``"mirror"`` (default): the vertical axis, searched in half-pixel steps around
  the body's centre of mass, about which the body's column profile (body pixels per column)
  best matches its mirror image; ``"centroid"``: the body's centre of mass; ``"centre"``:
  the image centre.
* **Side** is the image side of the region's centroid relative to the midline. In a frontal
  view the image's left is the patient's right breast.
* **ΔT** (radiometric only) is the region's mean °C minus the mean °C of its mirror site (each
  region pixel reflected across the midline; pixels reflected out of the image are skipped).
* **Grade**, after the paper's stages: ``advanced`` when regions lie on both sides of the
  midline, else ``middle`` when a region covers more than ``middle_area_pct`` % of the body,
  else ``initial`` (small focal region(s) on one side), ``none`` without any region.

The grade describes the *warm pattern* for a clinician to review; it is not a cancer stage and
thermoseg never diagnoses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.core.imaging import body_mask
from edge.errors import FrameError

__all__ = ["GRADES", "Analysis", "AnalysisConfig", "Grade", "Region", "analyse", "find_midline"]

log = logging.getLogger(__name__)

Grade = Literal["none", "initial", "middle", "advanced"]
GRADES: tuple[str, ...] = ("none", "initial", "middle", "advanced")


class AnalysisConfig(BaseModel):
    """How masks become regions, sides, ΔT and a grade."""

    model_config = ConfigDict(extra="forbid")

    min_region_px: int = Field(
        4, ge=1, description="smallest region counted, in pixels at the mask's resolution"
    )
    min_region_frac: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="smallest region as a fraction of the body area (larger of the two applies)",
    )
    middle_area_pct: float = Field(
        0.5,
        gt=0.0,
        le=100.0,
        description="a one-sided region above this % of the body area grades 'middle', else 'initial'",
    )
    abnormal_from: Literal["initial", "middle", "advanced"] = Field(
        "initial", description="lowest grade that makes a frame abnormal"
    )
    midline: Literal["mirror", "centroid", "centre"] = Field(
        "mirror", description="how the body midline is found"
    )
    midline_search_frac: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="mirror search: ± this fraction of the body width around its centre of mass",
    )
    body_min_c: float | None = Field(
        None, description="°C above which a pixel is body; None = Otsu's threshold per frame"
    )
    body_rgb_threshold: int = Field(
        40,
        ge=0,
        le=255,
        description="pseudo-colour: grey levels a body pixel differs from the background",
    )


def _r(value: float | None, digits: int = 3) -> float | None:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable view (floats rounded to 3 decimals)."""
        return {
            "id": self.id,
            "bbox": list(self.bbox),
            "area_px": self.area_px,
            "area_pct": _r(self.area_pct),
            "centroid": [_r(self.centroid[0]), _r(self.centroid[1])],
            "side": self.side,
            "max_c": _r(self.max_c),
            "mean_c": _r(self.mean_c),
            "delta_t_c": _r(self.delta_t_c),
        }


@dataclass(frozen=True)
class Analysis:
    """The regions of one frame, the body midline and the frame's grade."""

    regions: tuple[Region, ...]
    grade: Grade
    abnormal: bool
    midline_x: float
    body_area_px: int

    @property
    def max_delta_t_c(self) -> float | None:
        """The largest ΔT of any region, None when no region has one."""
        deltas = [r.delta_t_c for r in self.regions if r.delta_t_c is not None]
        return max(deltas) if deltas else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable view."""
        return {
            "regions": [r.to_dict() for r in self.regions],
            "grade": self.grade,
            "abnormal": self.abnormal,
            "midline_x": _r(self.midline_x),
            "body_area_px": self.body_area_px,
        }


def _check(name: str, array: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if array is not None and tuple(array.shape[:2]) != shape:
        raise FrameError(f"analyse: {name} is {array.shape[:2]}, expected the mask's shape {shape}")


def _body_from_celsius(celsius: npt.NDArray[np.float32], body_min_c: float | None) -> np.ndarray:
    if body_min_c is not None:
        return celsius > body_min_c
    lo, hi = float(celsius.min()), float(celsius.max())
    if hi - lo < 1e-3:  # a flat field has no background to separate
        return np.ones(celsius.shape, dtype=bool)
    scaled = ((celsius - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    _, fg = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(fg, dtype=bool)


def find_midline(
    body: npt.NDArray[Any], method: str = "mirror", search_frac: float = 0.25
) -> float:
    """The body's vertical midline x (may be a half pixel); see the module docstring."""
    b = np.asarray(body) > 0
    w = b.shape[1]
    profile = b.sum(axis=0).astype(np.float64)
    total = profile.sum()
    if method == "centre" or total == 0:
        return (w - 1) / 2.0
    cx = float((profile * np.arange(w)).sum() / total)
    if method == "centroid":
        return cx
    cols = np.flatnonzero(profile)
    reach = search_frac * (cols[-1] - cols[0] + 1)
    first = max(int(np.floor(2 * (cx - reach))), 0)
    last = min(int(np.ceil(2 * (cx + reach))), 2 * (w - 1))
    if last < first:
        return cx
    # Axis m = s / 2 reflects column x to s - x: score every candidate s at once (one row each)
    # by the profile's mismatch with its mirror. A column whose mirror falls outside the image
    # has no partner and counts fully. Profiles are whole numbers, so the sums are exact and the
    # scores equal a column-by-column loop's.
    s = np.arange(first, last + 1)
    mirror = s[:, None] - np.arange(w)[None, :]
    inside = (mirror >= 0) & (mirror < w)
    mismatch = np.where(inside, np.abs(profile - profile[np.clip(mirror, 0, w - 1)]), profile)
    score = mismatch.sum(axis=1) / total
    axes = s / 2.0
    # Best score; ties go to the axis nearest the centre of mass, then to the leftmost.
    best = np.lexsort((axes, np.abs(axes - cx), score))[0]
    return float(axes[best])


def _grade(regions: list[Region], middle_pct: float) -> Grade:
    if not regions:
        return "none"
    if len({r.side for r in regions}) == 2:
        return "advanced"
    if any(r.area_pct > middle_pct for r in regions):
        return "middle"
    return "initial"


def analyse(
    mask: npt.NDArray[np.uint8],
    celsius: npt.NDArray[np.float32] | None,
    cfg: AnalysisConfig,
    *,
    body: npt.NDArray[np.uint8] | None = None,
    rgb: npt.NDArray[np.uint8] | None = None,
) -> Analysis:
    """Regions, midline, ΔT and grade of a 0/1 ``mask`` (H, W); see the module docstring."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise FrameError(f"analyse: mask must be (H, W), got shape {m.shape}")
    shape = (int(m.shape[0]), int(m.shape[1]))
    _check("celsius", celsius, shape)
    _check("body", body, shape)
    _check("rgb", rgb, shape)
    fg = (m > 0).astype(np.uint8)
    if body is not None:
        body_b = np.asarray(body) > 0
    elif celsius is not None:
        body_b = _body_from_celsius(celsius, cfg.body_min_c)
    elif rgb is not None:
        body_b = body_mask(np.ascontiguousarray(rgb), cfg.body_rgb_threshold) > 0
    else:
        body_b = np.ones(shape, dtype=bool)
    body_b = body_b | (fg > 0)
    body_area = int(body_b.sum())
    denom = body_area if body_area > 0 else fg.size
    midline = find_midline(body_b, cfg.midline, cfg.midline_search_frac)
    min_area = max(cfg.min_region_px, int(np.ceil(cfg.min_region_frac * denom)))

    if fg.any():
        n, labels, stats, centroids = cv2.connectedComponentsWithStats(fg, connectivity=8)
    else:  # most frames segment nothing: labelling would find no component anyway
        n, labels, stats, centroids = 1, fg, np.zeros((1, 5), np.int32), np.zeros((1, 2))
    found = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    found.sort(key=lambda i: (-int(stats[i, cv2.CC_STAT_AREA]), i))
    regions: list[Region] = []
    for rid, i in enumerate(found, start=1):
        x, y, w, h, area = (int(v) for v in stats[i, :5])
        cx, cy = float(centroids[i][0]), float(centroids[i][1])
        max_c = mean_c = delta = None
        if celsius is not None:
            # Only the region's bounding box can hold its pixels (same pixels, same order).
            ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
            ys += y
            xs += x
            values = celsius[ys, xs]
            max_c, mean_c = float(values.max()), float(values.mean())
            mx = np.rint(2.0 * midline - xs).astype(np.intp)
            ok = (mx >= 0) & (mx < shape[1])
            if ok.any():
                delta = mean_c - float(celsius[ys[ok], mx[ok]].mean())
        regions.append(
            Region(
                id=rid,
                bbox=(x, y, w, h),
                area_px=area,
                area_pct=100.0 * area / denom,
                centroid=(cx, cy),
                side="left" if cx < midline else "right",
                max_c=max_c,
                mean_c=mean_c,
                delta_t_c=delta,
            )
        )
    grade = _grade(regions, cfg.middle_area_pct)
    abnormal = GRADES.index(grade) >= GRADES.index(cfg.abnormal_from)
    return Analysis(
        regions=tuple(regions),
        grade=grade,
        abnormal=abnormal,
        midline_x=float(midline),
        body_area_px=body_area,
    )
