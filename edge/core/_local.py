"""A region's warmth over its own surroundings in the same breast (:mod:`edge.core.analysis`).

The contralateral ΔT loses a lesion whenever the other breast is not a clean reference (a warm
vessel or a generally warmer breast at the mirror site). The *local excess* reads the region
against the ring of tissue around it instead: the region's peak (``peak_quantile`` of its
smoothed pixels) minus the median of the smoothed body pixels within ``local_ring_frac`` of the
chest width of it, on the region's side of the midline, other than segmented pixels. Only the
region's bounding box grown by the ring is touched, never the whole frame.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from edge.core._delta_t import region_quantile
from edge.core._median import median

__all__ = ["MIN_RING_PX", "local_excess", "ring_px"]

# Fewer ring pixels than this make the median a reading of one or two pixels' mottling.
MIN_RING_PX = 4


@lru_cache(maxsize=8)
def _disc(width: int) -> npt.NDArray[np.uint8]:
    # The ring's width is fixed by the chest width: a camera's frames share a few kernels.
    return np.asarray(
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1)), np.uint8
    )


def ring_px(ring_frac: float, chest_px: float) -> int:
    """The ring's width in pixels: ``ring_frac`` of the chest width, at least one pixel."""
    return max(round(ring_frac * chest_px), 1)


def local_excess(
    footprint: npt.NDArray[np.bool_],
    origin: tuple[int, int],
    smooth: npt.NDArray[np.float32],
    segmented: npt.NDArray[np.uint8],
    body: npt.NDArray[np.bool_],
    midline: float,
    side: Literal["left", "right"],
    width: int,
    quantile: float,
) -> float | None:
    """Peak of a region minus the median of its ring (°C).

    The region is ``footprint`` (its pixels in its bounding box, whose top-left pixel is
    ``origin`` (x, y)). The ring is the body pixels within
    ``width`` pixels of the region (an elliptical dilation), on its ``side`` of ``midline``,
    that are not ``segmented`` (0/1). None when fewer than :data:`MIN_RING_PX` such pixels
    exist (a region filling its surroundings).
    """
    h, w = smooth.shape
    bh, bw = footprint.shape
    bx, by = origin
    y0, y1 = max(by - width, 0), min(by + bh + width, h)
    x0, x1 = max(bx - width, 0), min(bx + bw + width, w)
    if side == "left":
        x1 = min(x1, max(int(np.ceil(midline)), x0))  # x < midline
    else:
        x0 = max(x0, min(int(np.ceil(midline)), x1))  # x >= midline
    if x1 <= x0:
        return None
    region = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    # The footprint's columns on this side, pasted (no scatter of its pixels).
    c0, c1 = max(bx, x0), min(bx + bw, x1)
    if c1 > c0:
        region[by - y0 : by + bh - y0, c0 - x0 : c1 - x0] = footprint[:, c0 - bx : c1 - bx]
    grown = cv2.dilate(region, _disc(width)) > 0
    ring = grown & body[y0:y1, x0:x1] & (segmented[y0:y1, x0:x1] == 0)
    crop = smooth[y0:y1, x0:x1]
    values = crop[ring]
    if values.size < MIN_RING_PX:
        return None
    # The region's pixels in row-major order, as np.nonzero would list them.
    peak = region_quantile(smooth[by : by + bh, bx : bx + bw][footprint], quantile)
    return peak - median(values)
