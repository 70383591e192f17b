"""``np.median`` of a 1-D array, the same bits, without its generic machinery.

``np.median`` (NaN check, axis handling, ``np.mean`` of the middle pair) costs about as much
as the selection itself on the few thousand pixels of a body or a breast, and a frame takes
several medians. Callers pass finite values (a :class:`~edge.core.frame.Frame` has no NaN).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["masked_median", "median"]


def median(values: npt.NDArray[Any]) -> float:
    """``float(np.median(values))`` for a non-empty 1-D array of finite numbers, bit for bit."""
    n = values.size
    lo, hi = (n - 1) // 2, n // 2
    if lo == hi:
        return float(np.partition(values, lo)[lo])
    part = np.partition(values, (lo, hi))
    if values.dtype.kind != "f":
        # np.median averages integers in float64.
        return float((np.float64(part[lo]) + np.float64(part[hi])) / 2)
    # numpy's mean of the middle pair: summed and divided in the array's own dtype.
    return float((part[lo] + part[hi]) / 2)


def masked_median(values: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_]) -> float:
    """``float(np.median(values[mask]))`` of a (H, W) float32 frame, bit for bit (``mask`` has
    some pixel).

    The frame is quantised to 256 levels of its own range, a monotone map: a histogram of the
    masked levels says which level holds the middle value(s), and only the masked pixels of
    that level are partitioned, not all of them."""
    lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        return float(values.flat[0])
    levels = ((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    inside = np.ascontiguousarray(mask).view(np.uint8)
    if values.size < 1 << 24:  # float32 counts are exact below 2**24
        hist = cv2.calcHist([levels], [0], inside, [256], [0, 256])
        counts = np.asarray(hist).ravel().astype(np.intp)
    else:
        counts = np.bincount(levels[mask], minlength=256)
    below = np.concatenate(([0], np.cumsum(counts)))
    n = int(below[-1])

    def value(rank: int) -> np.float32:
        level = int(np.searchsorted(below, rank, side="right")) - 1
        members = values[(levels == level) & mask]
        k = rank - int(below[level])
        return np.partition(members, k)[k]

    lo_rank, hi_rank = (n - 1) // 2, n // 2
    if lo_rank == hi_rank:
        return float(value(lo_rank))
    # numpy's mean of the middle pair: summed and divided in float32.
    return float((value(lo_rank) + value(hi_rank)) / 2)
