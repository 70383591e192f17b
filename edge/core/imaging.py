"""Imaging helpers shared by the analysis and the segmenters: the body in a colour image."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["background_colour", "body_mask"]

U8 = npt.NDArray[np.uint8]


def _u8(array: object) -> U8:
    """An OpenCV result as a typed uint8 array (no copy)."""
    return np.asarray(array, dtype=np.uint8)


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
