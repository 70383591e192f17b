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
* **Decision** (``decision = "delta_t"``, the default): a region *counts* only when it lies in
  the breast ROI (at least ``roi_min_overlap`` of its pixels; :mod:`edge.core.roi`) and its
  warmth is clinically meaningful against the contralateral site, after the classic
  thermography asymmetry criteria (see ``docs/decisions/0010-delta-t-decision.md``): a *focal*
  rule, the region's peak ΔT (``peak_quantile`` of its pixels) ≥ ``focal_delta_t_c`` (1 °C), or
  a *diffuse* rule, its mean ΔT ≥ ``diffuse_delta_t_c`` (0.5 °C) over at least
  ``diffuse_min_area_pct`` % of the ROI; optionally an *excess* rule, its mean above the same
  breast's median by ``baseline_excess_c``; and a *local* rule (on by default, decision 0014),
  its peak above the median of the ring of body pixels around it (``local_ring_frac`` of the
  chest width, same side, segmented pixels excluded) by ``local_excess_c`` (1 °C;
  :mod:`edge.core._local`). Left and right are never pixel-aligned and skin is
  mottled at the 0.3-0.6 °C level, so a pixel's ΔT compares the frame smoothed by ``blur_frac``
  of the chest width at the pixel and at its mirror site (``mirror_reference = "mean"``;
  symmetric warmth cancels), or, stricter, with the warmest smoothed pixel within
  ``align_frac`` of the mirror site (``"max"``: symmetric warmth misaligned by up to that much
  gives ΔT <= 0). A region's ΔT is the mean of its pixels' ΔT, its peak ΔT their
  ``peak_quantile``. Every region
  is reported, with ``counted`` and the ``rule`` or the ``reason`` it did not count.
  ``decision = "regions"`` counts every region (the paper's reading: any red region).
* **Grade**, over the counted regions (``grading = "sides"``, ours): ``advanced`` when they lie
  on both sides of the midline, else ``middle`` when one covers more than ``middle_area_pct`` %
  of the body, else ``initial`` (small focal region(s) on one side), ``none`` without any.
  ``grading = "table1"`` grades after the paper's Table 1 instead (size in millimetres through
  ``mm_per_px``; advanced when a side of the breast ROI is "full red"; :mod:`edge.core.table1`).

The grade describes the *warm pattern* for a clinician to review; it is not a cancer stage and
thermoseg never diagnoses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from edge.core._delta_t import Rule
from edge.core._regions import Region, find_regions, rounded
from edge.core.imaging import body_from_celsius, body_mask, find_midline
from edge.core.roi import BreastROI, full_frame_roi
from edge.core.table1 import table1_grade
from edge.errors import FrameError

__all__ = ["GRADES", "Analysis", "AnalysisConfig", "Grade", "Region", "Rule", "analyse"]

log = logging.getLogger(__name__)

Grade = Literal["none", "initial", "middle", "advanced"]
GRADES: tuple[str, ...] = ("none", "initial", "middle", "advanced")


class AnalysisConfig(BaseModel):
    """How masks become regions, sides, ΔT and a grade."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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
    decision: Literal["delta_t", "regions"] = Field(
        "delta_t", description="'delta_t': ROI + asymmetry rules; 'regions': every region counts"
    )
    roi_min_overlap: float = Field(
        0.5, ge=0.0, le=1.0, description="share of a region's pixels inside the breast ROI"
    )
    focal_delta_t_c: float = Field(
        1.0, gt=0.0, description="focal rule: peak ΔT against the mirror site, °C"
    )
    diffuse_delta_t_c: float = Field(
        0.5, gt=0.0, description="diffuse rule: mean ΔT against the mirror site, °C"
    )
    diffuse_min_area_pct: float = Field(
        0.0, ge=0.0, le=100.0, description="diffuse rule: smallest region, % of the ROI area"
    )
    baseline_excess_c: float | None = Field(
        None, gt=0.0, description="excess rule: mean above the same breast's median, °C (off)"
    )
    local_excess_c: float | None = Field(
        1.0,
        gt=0.0,
        description="local rule: peak above the median of the surrounding ring of the same "
        'breast, °C (None, or "off" in TOML, which has no null: off; decision 0014)',
    )
    local_ring_frac: float = Field(
        0.05, gt=0.0, le=0.2, description="local rule: ring width, fraction of the chest width"
    )
    peak_quantile: float = Field(
        0.9, gt=0.0, le=1.0, description="the 'peak' ΔT of a region is this quantile"
    )
    blur_frac: float = Field(
        0.01, ge=0.0, le=0.2, description="ΔT smoothing sigma, fraction of the chest width"
    )
    grading: Literal["sides", "table1"] = Field(
        "sides",
        description="'sides': our rule (both sides = advanced); 'table1': size in mm and a "
        "'full red' breast after the paper's Table 1 (edge.core.table1)",
    )
    mm_per_px: float = Field(
        1.0, gt=0.0, description="table1 grading: millimetres per pixel at the working distance"
    )
    table1_middle_size_mm: float = Field(10.0, gt=0.0, description="table1: middle from this size")
    table1_full_fraction: float = Field(
        0.9, gt=0.0, le=1.0, description="table1: share of a breast's ROI half that is 'full red'"
    )
    mirror_reference: Literal["max", "mean"] = Field(
        "mean",
        description="'mean': the mirror pixel, both sides smoothed by blur_frac; 'max': the "
        "warmest smoothed pixel within align_frac of it (stricter on mottled skin)",
    )
    align_frac: float = Field(
        0.02,
        ge=0.0,
        le=0.2,
        description="mirror_reference 'max': misalignment tolerated, fraction of the chest width",
    )

    @field_validator("local_excess_c", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        # On by default: TOML has no null, so "off" is how a config file switches it off.
        return None if value == "off" else value

    @field_serializer("local_excess_c", when_used="json")
    def _off_in_json(self, value: float | None) -> float | str:
        return "off" if value is None else value


@dataclass(frozen=True)
class Analysis:
    """The regions of one frame, the body midline and the frame's grade."""

    regions: tuple[Region, ...]
    grade: Grade
    abnormal: bool
    midline_x: float
    body_area_px: int
    # The largest factor by which every ΔT threshold could be multiplied with the frame still
    # flagged (0 without a region in the ROI): a threshold sweep of it is the ROC curve.
    score: float = 0.0

    @property
    def max_delta_t_c(self) -> float | None:
        """The largest ΔT of any counted region, None when none has one."""
        deltas = [r.delta_t_c for r in self.regions if r.counted and r.delta_t_c is not None]
        return max(deltas) if deltas else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable view."""
        return {
            "regions": [r.to_dict() for r in self.regions],
            "grade": self.grade,
            "abnormal": self.abnormal,
            "midline_x": rounded(self.midline_x),
            "body_area_px": self.body_area_px,
            "score": rounded(self.score),
        }


def _check(name: str, array: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if array is not None and tuple(array.shape[:2]) != shape:
        raise FrameError(f"analyse: {name} is {array.shape[:2]}, expected the mask's shape {shape}")


def _grade(regions: list[Region], middle_pct: float) -> Grade:
    counted = [r for r in regions if r.counted]
    if not counted:
        return "none"
    if len({r.side for r in counted}) == 2:
        return "advanced"
    if any(r.area_pct > middle_pct for r in counted):
        return "middle"
    return "initial"


def analyse(
    mask: npt.NDArray[np.uint8],
    celsius: npt.NDArray[np.float32] | None,
    cfg: AnalysisConfig,
    *,
    body: npt.NDArray[np.uint8] | None = None,
    rgb: npt.NDArray[np.uint8] | None = None,
    roi: BreastROI | None = None,
) -> Analysis:
    """Regions, midline, ΔT, decision and grade of a 0/1 ``mask`` (H, W); see the module docstring.

    ``roi`` is the breast ROI (:func:`edge.core.roi.find_roi`, found once per frame by the
    screening path); without one the whole frame is the ROI and the midline is searched here.
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise FrameError(f"analyse: mask must be (H, W), got shape {m.shape}")
    shape = (int(m.shape[0]), int(m.shape[1]))
    _check("celsius", celsius, shape)
    _check("body", body, shape)
    _check("rgb", rgb, shape)
    if roi is not None:
        _check("roi", roi.mask, shape)
    fg = (m > 0).astype(np.uint8)
    if body is not None:
        body_b = np.asarray(body) > 0
    elif roi is not None:
        body_b = roi.body
    elif celsius is not None:
        body_b = body_from_celsius(celsius, cfg.body_min_c)
    elif rgb is not None:
        body_b = body_mask(np.ascontiguousarray(rgb), cfg.body_rgb_threshold) > 0
    else:
        body_b = np.ones(shape, dtype=bool)
    body_b = body_b | (fg > 0)
    body_area = int(np.count_nonzero(body_b))
    denom = body_area if body_area > 0 else fg.size
    if roi is None:
        roi = full_frame_roi(shape, body_b)
        roi = replace(roi, midline_x=find_midline(body_b, cfg.midline, cfg.midline_search_frac))
    min_area = max(cfg.min_region_px, int(np.ceil(cfg.min_region_frac * denom)))
    found = find_regions(fg, celsius, roi, min_area, denom, cfg)
    regions = found.regions
    if cfg.grading == "table1":
        labels, (ox, oy) = found.labels, found.origin
        full = np.zeros(shape, dtype=labels.dtype)
        full[oy : oy + labels.shape[0], ox : ox + labels.shape[1]] = labels
        grade = _table1(full, found.ids, regions, roi, cfg)
    else:
        grade = _grade(regions, cfg.middle_area_pct)
    abnormal = GRADES.index(grade) >= GRADES.index(cfg.abnormal_from)
    return Analysis(
        regions=tuple(regions),
        grade=grade,
        abnormal=abnormal,
        midline_x=float(roi.midline_x),
        body_area_px=body_area,
        score=found.score,
    )


def _table1(
    labels: np.ndarray, found: list[int], regions: list[Region], roi: BreastROI, cfg: AnalysisConfig
) -> Grade:
    """Table 1 grade of the counted regions; each side of the ROI stands for one breast."""
    counted = [i for i, r in zip(found, regions, strict=True) if r.counted]
    mask = np.isin(labels, counted).astype(np.uint8) if counted else np.zeros_like(roi.mask)
    cols = np.arange(roi.mask.shape[1])[None, :]
    halves = [roi.mask * (cols < roi.midline_x), roi.mask * (cols >= roi.midline_x)]
    return table1_grade(
        mask,
        cfg.mm_per_px,
        [h.astype(np.uint8) for h in halves],
        middle_size_mm=cfg.table1_middle_size_mm,
        full_fraction=cfg.table1_full_fraction,
    ).grade
