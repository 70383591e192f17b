"""Medians of a frame's pixels with ``np.median``'s bits, without its generic machinery.

``np.median`` (NaN check, axis handling, ``np.mean`` of the middle pair) costs about as much
as the selection itself on the few thousand pixels of a body or a breast, and a frame takes
several medians. Over many pixels, a histogram of the frame quantised to 256 levels of its own
range (a monotone map) says which level holds the middle value(s), and only that level's pixels
are partitioned. Callers pass finite values (a :class:`~edge.core.frame.Frame` has no NaN).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Quantised", "class_medians", "levels_below", "masked_median", "median", "quantise"]

U8 = npt.NDArray[np.uint8]


class Quantised(NamedTuple):
    """A frame mapped to 256 levels of its own range ``lo``..``hi`` (a monotone map)."""

    levels: U8
    lo: float
    hi: float


def quantise(values: npt.NDArray[np.float32]) -> Quantised | None:
    """``values`` at 256 levels of their own range, None when they are all equal."""
    lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        return None
    return Quantised(((values - lo) * (255.0 / (hi - lo))).astype(np.uint8), lo, hi)


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


def masked_median(
    values: npt.NDArray[np.float32],
    mask: npt.NDArray[np.bool_],
    quantised: Quantised | None = None,
) -> float:
    """``float(np.median(values[mask]))`` of a (H, W) float32 frame, bit for bit (``mask`` has
    some pixel).

    The frame is quantised to 256 levels of its own range, a monotone map: a histogram of the
    masked levels says which level holds the middle value(s), and only the masked pixels of
    that level are partitioned, not all of them. ``quantised`` is :func:`quantise` of
    ``values`` when the caller already has it (the body's Otsu split makes the same levels)."""
    q = quantised if quantised is not None else quantise(values)
    if q is None:
        return float(values.flat[0])
    levels = q.levels
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


def levels_below(scaled: U8) -> npt.NDArray[np.intp]:
    """``below[l]``: how many pixels of ``scaled`` lie below level ``l`` (0..256)."""
    if scaled.size < 1 << 24:  # float32 counts are exact below 2**24: OpenCV's is ~3x faster
        hist = cv2.calcHist([np.ascontiguousarray(scaled)], [0], None, [256], [0, 256])
        counts = np.asarray(hist).ravel().astype(np.intp)
    else:
        counts = np.bincount(scaled.ravel(), minlength=256)
    return np.concatenate(([0], np.cumsum(counts)))


def class_medians(
    celsius: npt.NDArray[np.float32],
    scaled: U8,
    threshold: int,
    below: npt.NDArray[np.intp] | None = None,
) -> tuple[float, float]:
    """``np.median`` of °C at ``scaled <= threshold`` (room) and above it (body), bit for bit.

    ``scaled`` is a monotone map of °C to 0..255, so a value's rank in the frame lies within its
    level's: a histogram of the levels says which level holds each median's middle value(s),
    and only that level's pixels are partitioned, not each class whole."""
    flat, levels = celsius.ravel(), scaled.ravel()
    if below is None:
        below = levels_below(scaled)
    n_room = int(below[threshold + 1])

    def value(rank: int) -> np.float32:
        level = int(np.searchsorted(below, rank, side="right")) - 1
        members = flat[levels == level]
        k = rank - int(below[level])
        return np.partition(members, k)[k]

    def class_median(start: int, count: int) -> float:
        lo, hi = start + (count - 1) // 2, start + count // 2
        if lo == hi:
            return float(value(lo))
        # numpy's median of an even count: the mean of the two middle values, in their dtype.
        return float(np.mean(np.array([value(lo), value(hi)], dtype=flat.dtype)))

    return class_median(0, n_room), class_median(n_room, flat.size - n_room)
