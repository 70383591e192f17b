"""How visible each truth lesion is in its own frame, and whether the segmentation covered it.

A lesion's *contrast* is the 95th percentile of its pixels minus the median of the ring of body
skin around it; its *clutter* is the robust spread (1.4826 × MAD) of the skin's own texture in
that ring, the texture being the frame minus a body-masked Gaussian blur. Their ratio
(contrast-to-clutter, CCR) says how far the lesion stands out of the mottling that every
healthy breast also shows: near 1 a lesion is one warm patch among many. Only the frame's °C,
the truth mask and the frame's ROI are read, so the measure applies to any data set with lesion
masks, real or synthetic. ADR 0016 fixes the ring, the blur and the bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.core._local import _disc, ring_px
from edge.core.roi import BreastROI

__all__ = ["CCR_BINS", "CCR_EDGES", "LesionVisibility", "ccr_bin", "lesion_visibility"]

# Bins of the contrast-to-clutter ratio: lost in the texture / marginal / plainly visible.
CCR_EDGES = (3.0, 6.0)
CCR_BINS = ("<3", "3-6", ">=6", "unmeasured")  # the labels :func:`ccr_bin` gives
# Of the chest width: the local rule's default ring (ADR 0014), fixed here by ADR 0016 so that
# a reading keeps its meaning when a device configures another ring.
RING_FRAC = 0.05
QUANTILE = 0.95
# Clutter never reads below sensor noise (a Lepton's NETD is about 0.05 °C).
CLUTTER_FLOOR_C = 0.05
MIN_RING_PX = 8  # fewer ring pixels than this do not give a spread


@dataclass(frozen=True)
class LesionVisibility:
    """One connected truth lesion: its size, visibility and how much of it was segmented."""

    pixels: int
    contrast_c: float | None  # None: no ring of skin to read it against
    clutter_c: float | None
    recall: float  # share of its pixels in the predicted mask

    @property
    def ccr(self) -> float | None:
        """Contrast over clutter; None when the ring could not be read."""
        if self.contrast_c is None or self.clutter_c is None:
            return None
        return self.contrast_c / self.clutter_c


def ccr_bin(ccr: float | None) -> str:
    """The bin's label: ``"<3"``, ``"3-6"``, ``">=6"`` or ``"unmeasured"``."""
    if ccr is None:
        return CCR_BINS[3]
    return CCR_BINS[0] if ccr < CCR_EDGES[0] else CCR_BINS[1] if ccr < CCR_EDGES[1] else CCR_BINS[2]


def _texture(
    celsius: npt.NDArray[np.float32], body: npt.NDArray[np.bool_], sigma: float
) -> npt.NDArray[np.float32]:
    # A body-masked blur: the cold background does not leak into the skin near the outline.
    weight = body.astype(np.float32)
    num = cv2.GaussianBlur(celsius * weight, (0, 0), sigma)
    den = cv2.GaussianBlur(weight, (0, 0), sigma)
    return np.asarray(celsius - num / np.maximum(den, 1e-6), np.float32)


def lesion_visibility(
    celsius: npt.NDArray[np.float32],
    truth: npt.NDArray[np.uint8],
    predicted: npt.NDArray[np.uint8],
    roi: BreastROI | None = None,
) -> list[LesionVisibility]:
    """Every connected lesion of ``truth`` (0/1) in ``celsius``, with the share ``predicted``
    (0/1, same shape) covers. ``roi`` gives the body and chest width (else the whole frame)."""
    t = np.asarray(truth) > 0
    n, labels = cv2.connectedComponents(t.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    body = roi.body if roi is not None else np.ones(t.shape, dtype=bool)
    chest = roi.chest_width_px if roi is not None else float(t.shape[1])
    width = max(ring_px(RING_FRAC, chest), 2)
    texture = _texture(np.asarray(celsius, np.float32), body, float(width))
    disc = _disc(width)
    hit = np.asarray(predicted) > 0
    out = []
    for k in range(1, n):
        comp = labels == k
        grown = cv2.dilate(comp.astype(np.uint8), disc) > 0
        ring = grown & body & ~t
        contrast = clutter = None
        if int(ring.sum()) >= MIN_RING_PX:
            contrast = float(np.quantile(celsius[comp], QUANTILE) - np.median(celsius[ring]))
            tex = texture[ring]
            mad = float(np.median(np.abs(tex - np.median(tex))))
            clutter = max(1.4826 * mad, CLUTTER_FLOOR_C)
        pixels = int(comp.sum())
        out.append(LesionVisibility(pixels, contrast, clutter, float((hit & comp).sum()) / pixels))
    return out
