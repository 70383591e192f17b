"""Imaging helpers shared by the analysis, the breast ROI and the segmenters: body and midline."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.core._median import Quantised, class_medians, levels_below, quantise

__all__ = [
    "SKIN_ROOM_GAP_C",
    "background_colour",
    "body_and_levels",
    "body_from_celsius",
    "body_mask",
    "components",
    "components_in_bounds",
    "find_midline",
]

U8 = npt.NDArray[np.uint8]

_MIDLINE_CHUNK = 1 << 20  # candidate-axis x column cells scored at once
_MIDLINE_EXACT_CELLS = 1 << 23  # above this, search coarse to fine (linear in width)
# Less than this between the medians of the two Otsu classes: no room in the frame, all skin.
SKIN_ROOM_GAP_C = 5.0


def _u8(array: object) -> U8:
    """An OpenCV result as a typed uint8 array (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def components(binary: U8) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components of a 0/1 uint8 image with their stats and centroids.

    The same labels, stats and centroids as ``cv2.connectedComponentsWithStats`` (every
    algorithm numbers components in raster order), with Grana's block-based algorithm: OpenCV's
    default (Spaghetti) costs about 3x more with statistics on a frame-size mask."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStatsWithAlgorithm(
        binary, 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    return int(n), np.asarray(labels), np.asarray(stats), np.asarray(centroids)


def components_in_bounds(
    binary: U8,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """:func:`components` of the part of ``binary`` that holds its nonzero pixels.

    Returns ``n``, the part's labels, stats and centroids in ``binary``'s coordinates and the
    part's origin ``(x, y)``: for every component (labels 1..n-1) the same labels, stats and
    centroids, bit for bit, as :func:`components` of the whole image (label 0, the background,
    describes the part only). A segmentation mask's few regions then cost a fraction of
    labelling the whole frame with statistics."""
    bx, by, bw, bh = cv2.boundingRect(binary)
    ox, oy = bx & ~1, by & ~1  # even: Grana's 2x2 blocks fall as they do in the whole image
    part = np.ascontiguousarray(binary[oy : by + bh, ox : bx + bw])
    n, labels, stats, centroids = components(part)
    stats = stats.copy()
    stats[1:, 0] += ox
    stats[1:, 1] += oy
    # OpenCV's centroid is (sum of coordinates) / area: recover the part's exact integer sums,
    # shift them and divide again, so the division is the whole image's one.
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)[:, None]
    sums = np.rint(centroids[1:] * area) + np.array([ox, oy], dtype=np.float64) * area
    centroids = centroids.copy()
    centroids[1:] = sums / area
    return n, labels, stats, centroids, (ox, oy)


def background_colour(image: U8) -> npt.NDArray[np.float64]:
    """The most common colour of the image's one-pixel border, as float64 RGB.

    The torso often fills the top and bottom rows, so a median can land on skin; the room
    behind the subject is one flat colour (clipped at the palette's cold end), so the mode of
    the border's colours (16 levels per channel, then averaged within that bin) finds it.
    """
    border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
    q = (border >> 4).astype(np.int32)
    key = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    mode = int(np.bincount(key, minlength=4096).argmax())
    return np.asarray(border[key == mode].mean(axis=0), dtype=np.float64)


def body_mask(
    image: U8,
    threshold: int = 40,
    background: tuple[int, int, int] | None = None,
    min_fraction: float = 0.0,
) -> U8:
    """Step 8: the body, the pixels whose colour differs from the background colour.

    The background colour is ``background`` or, when None, :func:`background_colour`. A pixel
    differs when some channel is more than ``threshold`` away. With ``min_fraction`` > 0 only
    8-connected parts covering at least that fraction of the image are kept (the largest part
    when none does), so a small warm object in the room is not body.
    """
    bg = background_colour(image) if background is None else np.asarray(background, np.float64)
    lo = np.clip(bg - threshold, 0, 255)
    hi = np.clip(bg + threshold, 0, 255)
    background_like = _u8(cv2.inRange(image, tuple(lo.tolist()), tuple(hi.tolist())))
    body = np.asarray(1 - (background_like >> 7), dtype=np.uint8)
    if min_fraction <= 0:
        return body
    n, labels = cv2.connectedComponents(body, connectivity=8, ltype=cv2.CV_32S)
    if n <= 2:
        return body
    area = np.bincount(labels.ravel(), minlength=n)
    area[0] = 0
    keep = area >= min_fraction * body.size
    if not keep.any():
        keep[int(area.argmax())] = True
    return np.asarray(keep.astype(np.uint8)[labels], dtype=np.uint8)


def body_from_celsius(
    celsius: npt.NDArray[np.float32], body_min_c: float | None
) -> npt.NDArray[np.bool_]:
    """Body pixels of a °C frame: above ``body_min_c``, or Otsu's threshold on the frame's range."""
    return body_and_levels(celsius, body_min_c)[0]


def body_and_levels(
    celsius: npt.NDArray[np.float32], body_min_c: float | None
) -> tuple[npt.NDArray[np.bool_], Quantised | None]:
    """:func:`body_from_celsius` and the frame quantised to its own range on the way (the
    :func:`~edge.core._median.quantise` levels the body's median reuses), None without Otsu."""
    if body_min_c is not None:
        return celsius > body_min_c, None
    quantised = quantise(celsius)
    if quantised is None or quantised.hi - quantised.lo < 1e-3:
        return np.ones(celsius.shape, dtype=bool), None  # a flat field: no background
    scaled, lo, hi = quantised.levels, quantised.lo, quantised.hi
    threshold, fg = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    body = np.asarray(fg, dtype=bool)
    if body.all() or not body.any():
        return np.ones(celsius.shape, dtype=bool), quantised
    # A close-up can be all skin: Otsu then splits the skin itself (warm chest from cooler
    # breasts). A room is far cooler than skin (real frontal views: ~9 °C between the medians,
    # while skin spans ~4 °C below its median), so a "background" this close is skin too.
    if _room_is_skin(celsius, scaled, int(threshold), (hi - lo) / 255.0):
        return np.ones(celsius.shape, dtype=bool), quantised
    return body, quantised


def _room_is_skin(
    celsius: npt.NDArray[np.float32], scaled: U8, threshold: int, level_c: float
) -> bool:
    """``room > skin - SKIN_ROOM_GAP_C`` for the :func:`~edge.core._median.class_medians` of the Otsu split.

    The histogram of ``scaled`` (levels ``level_c`` °C wide from the frame's minimum) says
    which level holds each median's middle values, so each median is known within a few
    levels without looking at a pixel; only when the gap falls inside that uncertainty (a few
    hundredths of a °C on a camera frame) are the medians computed exactly. The answer is the
    exact comparison's either way."""
    below = levels_below(scaled)
    n_room = int(below[threshold + 1])
    n = int(below[-1])

    def level(rank: int) -> int:
        return int(np.searchsorted(below, rank, side="right")) - 1

    # A value at level l lies within [l, l + 1) levels of the minimum; float32 rounding of the
    # scaling can move it across one edge, so 2 levels of slack either way is safe.
    room_lo, room_hi = level((n_room - 1) // 2), level(n_room // 2)
    skin_lo, skin_hi = level(n_room + (n - n_room - 1) // 2), level(n_room + (n - n_room) // 2)
    gap_lo = (skin_lo - 2 - (room_hi + 3)) * level_c  # skin - room is at least this
    gap_hi = (skin_hi + 3 - (room_lo - 2)) * level_c  # and at most this
    if gap_lo > SKIN_ROOM_GAP_C:
        return False
    if gap_hi < SKIN_ROOM_GAP_C:
        return True
    room, skin = class_medians(celsius, scaled, threshold, below)
    return room > skin - SKIN_ROOM_GAP_C


def find_midline(
    body: npt.NDArray[Any], method: str = "mirror", search_frac: float = 0.25
) -> float:
    """The body's vertical midline x (may be a half pixel); see the module docstring."""
    array = np.asarray(body)
    b = np.ascontiguousarray(array if array.dtype == np.bool_ else array > 0)
    w = b.shape[1]
    # Body pixels per column; OpenCV's column sum is ~4x numpy's on a boolean frame.
    counts = cv2.reduce(b.view(np.uint8), 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S)
    profile = np.asarray(counts).ravel().astype(np.float64)
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
    return _mirror_axis(profile, float(total), cx, first, last)


def _mirror_axis(
    profile: npt.NDArray[np.float64], total: float, cx: float, first: int, last: int
) -> float:
    """The axis among doubled positions ``first..last`` whose mirror best matches ``profile``.

    Exact while candidates × width fits :data:`_MIDLINE_EXACT_CELLS` (every camera frame);
    wider profiles are searched coarse to fine: the axis of the profile binned by two, then the
    few candidates around it, so the work stays linear in the width.
    """
    w = len(profile)
    if (last - first + 1) * w <= _MIDLINE_EXACT_CELLS:
        return _best_of(profile, total, cx, first, last)
    coarse = np.add.reduceat(profile, np.arange(0, w, 2))
    # Pixel axis a = 2 * coarse axis + 0.5, so doubled s = 2 * coarse doubled + 1.
    c_first = max((first - 1) // 2, 0)
    c_last = min((last - 1) // 2 + 1, 2 * (len(coarse) - 1))
    coarse_axis = _mirror_axis(coarse, total, (cx - 0.5) / 2, c_first, max(c_first, c_last))
    s0 = round(4 * coarse_axis + 1)
    lo, hi = max(first, s0 - 4), min(last, s0 + 4)
    if hi < lo:
        lo, hi = first, min(last, first + 8)
    return _best_of(profile, total, cx, lo, hi)


def _best_of(
    profile: npt.NDArray[np.float64], total: float, cx: float, first: int, last: int
) -> float:
    """Of the doubled axis positions ``first..last``, the one whose mirror best matches
    ``profile``."""
    # Axis m = s / 2 reflects column x to s - x: score every candidate s at once (one row each)
    # by the profile's mismatch with its mirror. A column whose mirror falls outside the image
    # has no partner and counts fully (its mirror reads a zero). Row s of the mirrors is a
    # window of the reversed profile padded with zeros (a strided view, no gather): row s,
    # column x reads ``padded[2w - 2 - s + x]`` = profile[s - x].
    # Profiles are whole numbers, so the sums are exact and the scores equal a column-by-column
    # loop's; float32 holds them exactly while a row's sum (at most 2 * total) is below 2**24.
    w = len(profile)
    dtype = np.float32 if 2 * total < 1 << 24 else np.float64
    p = profile.astype(dtype)
    padded = np.zeros(3 * w - 2, dtype)
    padded[w - 1 : 2 * w - 1] = p[::-1]
    size = padded.itemsize
    s = np.arange(first, last + 1)
    score = np.empty(len(s), dtype=np.float64)
    step = max(1, _MIDLINE_CHUNK // w)  # bounded memory whatever the frame's width
    for start in range(first, last + 1, step):
        stop = min(start + step, last + 1)
        mirrors = np.ndarray(
            (stop - start, w), dtype, padded, (2 * w - 2 - start) * size, (-size, size)
        )
        mismatch = np.subtract(p, mirrors)
        np.abs(mismatch, out=mismatch)
        sums = np.add.reduce(mismatch, axis=1)
        score[start - first : stop - first] = sums.astype(np.float64) / total
    axes = s / 2.0
    # Best score; ties go to the axis nearest the centre of mass, then to the leftmost.
    best = np.lexsort((axes, np.abs(axes - cx), score))[0]
    return float(axes[best])
