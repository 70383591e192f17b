"""Pixel and region steps of the region-based segmenter: thresholds, body, edges, regions.

Used by the ``tuned`` variant of :mod:`edge.segmenters.codebook.segmenter` (its step numbers
in docstrings here are that variant's own, not the paper's). Masks are uint8 0/1 (H, W); region label images
are int32 (H, W) with 0 for "no region" and regions numbered 1..n.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.core.imaging import background_colour, body_mask

__all__ = [
    "RGBBox",
    "background_colour",
    "body_mask",
    "classify_rgb",
    "edge_flow",
    "grow_regions",
    "label_codes",
    "merge_regions",
]

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]
I32 = npt.NDArray[np.int32]
Range = tuple[int, int]


class RGBBox(BaseModel):
    """A multispectral threshold: inclusive ranges on R, G and B (0..255)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    r: Range = Field((0, 255), description="inclusive (low, high) range of the red channel")
    g: Range = Field((0, 255), description="inclusive (low, high) range of the green channel")
    b: Range = Field((0, 255), description="inclusive (low, high) range of the blue channel")

    @model_validator(mode="after")
    def _ranges(self) -> RGBBox:
        for name, (lo, hi) in (("r", self.r), ("g", self.g), ("b", self.b)):
            if not 0 <= lo <= hi <= 255:
                raise ValueError(f"{name} = ({lo}, {hi}): expected 0 <= low <= high <= 255")
        return self

    @property
    def low(self) -> tuple[int, int, int]:
        return (self.r[0], self.g[0], self.b[0])

    @property
    def high(self) -> tuple[int, int, int]:
        return (self.r[1], self.g[1], self.b[1])

    def widened(self, by: int) -> RGBBox:
        """The box grown by ``by`` grey levels on every side (clipped to 0..255)."""

        def w(r: Range) -> Range:
            return (max(r[0] - by, 0), min(r[1] + by, 255))

        return RGBBox(r=w(self.r), g=w(self.g), b=w(self.b))

    def contains(self, image: U8) -> U8:
        """0/1 mask of the pixels of an RGB uint8 (H, W, 3) image inside the box."""
        return _bits(cv2.inRange(image, self.low, self.high))


def _u8(array: object) -> U8:
    """An OpenCV result as a typed uint8 array (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def _bits(cv_mask: object) -> U8:
    """An OpenCV 0/255 mask as 0/1."""
    return np.asarray(_u8(cv_mask) >> 7, dtype=np.uint8)


def classify_rgb(image: U8, boxes: Sequence[RGBBox]) -> U8:
    """Step 6: per-pixel class from multispectral thresholds.

    Returns uint8 (H, W): ``i + 1`` for the first box (in ``boxes`` order, i.e. the priority
    where boxes overlap) that contains the pixel, 0 when none does. With the default boxes
    (red, green, blue) that is 1 = red, 2 = green, 3 = blue.
    """
    labels = np.zeros(image.shape[:2], dtype=np.uint8)
    for i in range(len(boxes) - 1, -1, -1):
        inside = cv2.inRange(image, boxes[i].low, boxes[i].high)
        labels[inside > 0] = i + 1
    return labels


def label_codes(codes: npt.NDArray[np.floating], boxes: Sequence[RGBBox]) -> npt.NDArray[np.intp]:
    """Step 7: name each final code vector by the threshold box it falls in.

    Returns (K,) ``i + 1`` of the first box containing the code; a code inside none gets the box
    nearest to it (Euclidean distance from the point to the box).
    """
    c = np.asarray(codes, dtype=np.float32).reshape(-1, 3)
    lo = np.array([b.low for b in boxes], dtype=np.float32)
    hi = np.array([b.high for b in boxes], dtype=np.float32)
    excess = np.maximum(lo[None] - c[:, None], 0) + np.maximum(c[:, None] - hi[None], 0)
    dist = (excess * excess).sum(axis=2)  # 0 inside; argmin keeps the first box on ties
    return np.asarray(dist.argmin(axis=1) + 1, dtype=np.intp)


def edge_flow(
    image: U8, low: float = 60.0, high: float = 180.0, roi: tuple[int, int, int, int] | None = None
) -> U8:
    """Step 9: edge-flow boundaries, 0/1 (H, W), approximated by Canny (``tuned`` variant).

    Not Ma & Manjunath's edge flow, which the ``paper`` variant runs
    (:mod:`edge.segmenters.codebook.edgeflow`).

    The edge flow points along the colour gradient; boundaries sit where flows from both sides
    meet, i.e. on the ridge of the colour-gradient magnitude. That ridge is what Canny's
    non-maximum suppression keeps, so boundaries are ``cv2.Canny`` on the RGB image (the
    gradient of the channel that changes most, L2 norm) with hysteresis ``low``/``high``.
    ``roi`` = (x, y, w, h) limits the work to a window; outside it the result is 0.
    """
    out = np.zeros(image.shape[:2], dtype=np.uint8)
    x, y, w, h = roi if roi is not None else (0, 0, image.shape[1], image.shape[0])
    if w <= 0 or h <= 0:
        return out
    window = np.ascontiguousarray(image[y : y + h, x : x + w])
    out[y : y + h, x : x + w] = _bits(cv2.Canny(window, low, high, L2gradient=True))
    return out


def grow_regions(candidates: U8, seeds: U8, boundaries: U8 | None = None) -> I32:
    """Step 10: grow regions from seeds through candidate pixels, stopping at boundaries.

    A region is an 8-connected component of ``candidates`` minus ``boundaries`` that holds at
    least one seed pixel (seeds outside the candidates are ignored). Boundaries therefore also
    *split* a candidate area into separate regions. Returns int32 labels numbered 1..n.
    """
    free = candidates if boundaries is None else candidates & (1 - boundaries)
    n, labels = cv2.connectedComponents(free.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if n <= 1:
        return np.zeros(candidates.shape, dtype=np.int32)
    hit = np.zeros(n, dtype=bool)
    hit[labels[seeds.astype(bool)]] = True
    hit[0] = False
    renumber = np.where(hit, np.cumsum(hit), 0).astype(np.int32)
    return np.asarray(renumber[labels], dtype=np.int32)


def _components(adjacent: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Connected components of a symmetric adjacency matrix with a true diagonal.

    Each node takes the smallest index among its neighbours, then follows pointers, until
    nothing changes: the result maps every node to the smallest index of its component.
    """
    n = adjacent.shape[0]
    comp = np.arange(n)
    while True:
        new = np.where(adjacent, comp[None, :], n).min(axis=1)
        new = new[new]
        if np.array_equal(new, comp):
            return comp
        comp = new


def merge_regions(
    labels: I32,
    image: U8,
    *,
    gap: int = 2,
    colour_distance: float = 80.0,
    min_area: int = 4,
) -> I32:
    """Step 11: merge neighbouring, similar regions; drop regions smaller than ``min_area``.

    Two regions merge when they lie within ``gap`` pixels of each other (8-connected after a
    dilation by ``gap``) and their mean colours are within ``colour_distance`` (Euclidean RGB);
    merging is transitive. Merged regions that still cover fewer than ``min_area`` pixels are
    removed. Returns int32 labels numbered 1..m (merged regions share a label; the gaps
    between them stay 0).
    """
    n = int(labels.max(initial=0))
    if n == 0:
        return labels
    where = np.flatnonzero(labels)
    region = labels.ravel()[where]
    area = np.bincount(region, minlength=n + 1).astype(np.float64)
    root = np.arange(n + 1)
    if n > 1 and gap > 0:
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * gap + 1, 2 * gap + 1))
        near = cv2.dilate((labels > 0).astype(np.uint8), k)
        _, groups = cv2.connectedComponents(near, connectivity=8, ltype=cv2.CV_32S)
        group_of = np.zeros(n + 1, dtype=np.int32)
        group_of[region] = groups.ravel()[where]
        px = image.reshape(-1, 3)[where].astype(np.float64)
        mean = (
            np.stack(
                [np.bincount(region, weights=px[:, c], minlength=n + 1) for c in range(3)], axis=1
            )
            / np.maximum(area, 1)[:, None]
        )
        g, m = group_of[1:], mean[1:]
        sq = (m * m).sum(axis=1)
        d2 = sq[:, None] + sq[None, :] - 2.0 * (m @ m.T)
        adjacent = (g[:, None] == g[None, :]) & (d2 <= colour_distance**2 + 1e-6)
        np.fill_diagonal(adjacent, True)
        root[1:] = _components(adjacent) + 1
    merged_area = np.bincount(root, weights=area, minlength=n + 1)
    keep = (merged_area[root] >= min_area) & (np.arange(n + 1) > 0)
    roots = np.unique(root[keep])
    new_id = np.zeros(n + 1, dtype=np.int32)
    new_id[roots] = np.arange(1, len(roots) + 1, dtype=np.int32)
    lut = np.where(keep, new_id[root], 0).astype(np.int32)
    return np.asarray(lut[labels], dtype=np.int32)
