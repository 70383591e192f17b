"""Where the paper's three RGB boxes fall on a palette: which colours, which temperatures.

The paper's boxes were made for the palette of its thermograms. A box is *reachable* on a
palette when some of the palette's 256 colours lie inside it; because a palette maps a fixed
span ``t_min..t_max`` linearly onto its colours, a box's colours are a temperature band and the
order of the bands does not depend on the span. ``bench/palette_boxes.py`` prints the measurement
for every palette; the result is recorded in ``docs/decisions/codebook-palette.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from edge.segmenters.codebook.regions import RGBBox

__all__ = ["BoxReach", "box_reach", "boxes_in_order"]


@dataclass(frozen=True)
class BoxReach:
    """The palette indices (0 = ``t_min`` .. 255 = ``t_max``) whose colours lie in one box."""

    indices: npt.NDArray[np.intp]

    @property
    def reachable(self) -> bool:
        return len(self.indices) > 0

    def celsius(self, t_min: float, t_max: float) -> tuple[float, float] | None:
        """The box's temperature band over the span, or None when unreachable."""
        if not self.reachable:
            return None
        scale = (t_max - t_min) / 255.0
        return t_min + float(self.indices.min()) * scale, t_min + float(self.indices.max()) * scale


def box_reach(lut: npt.NDArray[np.uint8], box: RGBBox) -> BoxReach:
    """Which colours of a (256, 3) RGB palette ``lut`` lie inside ``box``."""
    inside = ((lut >= np.array(box.low)) & (lut <= np.array(box.high))).all(axis=1)
    return BoxReach(np.flatnonzero(inside))


def boxes_in_order(lut: npt.NDArray[np.uint8], boxes: Sequence[RGBBox]) -> bool:
    """True when every box is reachable and each lies wholly above the next in temperature.

    ``boxes`` from warm to cool, e.g. (red, green, blue): red's coolest colour is warmer than
    green's warmest, and green's coolest warmer than blue's warmest.
    """
    reach = [box_reach(lut, b) for b in boxes]
    if not all(r.reachable for r in reach):
        return False
    return all(int(warm.indices.min()) > int(cool.indices.max()) for warm, cool in pairwise(reach))
