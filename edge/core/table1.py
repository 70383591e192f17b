"""Grades after the paper's Table 1: size in millimetres, "full red" breast for advanced.

An option beside :mod:`edge.core.analysis`'s own rule (which calls regions on both sides
``advanced``). As quoted in the project's issue 15, Table 1's middle stage gives a "size 10 mm"
and its advanced stage is a "full red" breast. Our readings, since the table is terse:

* a region's **size** is its equivalent-circle diameter, 2·√(area / π), in millimetres through
  a configured ``mm_per_px`` (the camera's footprint at the working distance; nothing in a
  frame gives it);
* **advanced**: some breast is "full red", i.e. at least ``full_fraction`` of its pixels are in
  the mask;
* **middle**: else, some region's size is at least ``middle_size_mm`` (10 mm);
* **initial**: else, any region at all (a small focal spot); **none** without regions.

Regions are 8-connected components of the 0/1 mask. Like every grade in thermoseg this
describes the warm pattern for a clinician to review; it is no cancer stage and no diagnosis.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Table1Grade", "region_sizes_mm", "table1_grade"]

log = logging.getLogger(__name__)

Grade = Literal["none", "initial", "middle", "advanced"]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Table1Grade:
    """A Table 1 grade with what decided it."""

    grade: Grade
    sizes_mm: tuple[float, ...]
    """Equivalent-circle diameter of every region, largest first."""
    breast_red_fractions: tuple[float, ...]
    """Fraction of each given breast covered by the mask."""


def region_sizes_mm(mask: U8, mm_per_px: float) -> tuple[float, ...]:
    """Equivalent-circle diameters (mm) of the 8-connected regions of a 0/1 mask, largest first."""
    if not mm_per_px > 0:
        raise ValueError(f"mm_per_px = {mm_per_px}; expected a positive number")
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W) 0/1, got shape {mask.shape}")
    n, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    areas = sorted((int(a) for a in stats[1:n, cv2.CC_STAT_AREA]), reverse=True)
    return tuple(2.0 * math.sqrt(a / math.pi) * mm_per_px for a in areas)


def table1_grade(
    mask: U8,
    mm_per_px: float,
    breasts: Sequence[U8] = (),
    *,
    middle_size_mm: float = 10.0,
    full_fraction: float = 0.9,
) -> Table1Grade:
    """Grade a 0/1 abnormal ``mask`` after Table 1 (readings in the module docstring).

    ``breasts`` are 0/1 masks of each breast, the same shape as ``mask``; without them no frame
    can be ``advanced``. ``full_fraction`` is our reading of "full red" (0.9: nine tenths of
    the breast).
    """
    if not 0.0 < full_fraction <= 1.0:
        raise ValueError(f"full_fraction = {full_fraction}; expected 0 < full_fraction <= 1")
    sizes = region_sizes_mm(mask, mm_per_px)
    hot = mask > 0
    fractions = []
    for i, breast in enumerate(breasts):
        if breast.shape != mask.shape:
            raise ValueError(f"breast {i} has shape {breast.shape}; expected {mask.shape}")
        area = int(np.count_nonzero(breast))
        fractions.append(0.0 if area == 0 else float(np.count_nonzero(hot & (breast > 0))) / area)
    grade: Grade
    if any(f >= full_fraction for f in fractions):
        grade = "advanced"
    elif sizes and sizes[0] >= middle_size_mm:
        grade = "middle"
    elif sizes:
        grade = "initial"
    else:
        grade = "none"
    return Table1Grade(grade, sizes, tuple(fractions))
