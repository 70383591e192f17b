"""Human-readable pictures of a result: the frame in its palette with abnormal regions outlined."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig, colorize
from edge.errors import FrameError
from edge.io.output import write_bytes_atomically

__all__ = ["CLUSTER_RGB", "render_clusters", "render_overlay", "write_png"]

_OUTLINE_RGB = (255, 255, 255)
_SHADOW_RGB = (0, 0, 0)
CLUSTER_RGB: tuple[tuple[int, int, int], ...] = ((0, 0, 0), (0, 0, 255), (0, 255, 0), (255, 0, 0))
"""Colour of each cluster label (0 none, 1 blue, 2 green, 3 red), the paper's three clusters."""


def render_overlay(
    frame: Frame, mask: npt.NDArray[np.uint8], cfg: PreprocessConfig
) -> npt.NDArray[np.uint8]:
    """RGB uint8 (H, W, 3) at the frame's resolution with the 0/1 ``mask`` regions outlined.

    A dark line under a white one keeps the outline visible on every palette colour.
    """
    celsius = frame.celsius()
    rgb = (
        frame.pixels.copy()
        if celsius is None
        else colorize(celsius, cfg.palette, cfg.t_min, cfg.t_max)
    )
    if mask.shape != rgb.shape[:2]:
        raise FrameError(
            f"{frame.source or 'frame'}: mask {mask.shape} does not match frame {rgb.shape[:2]}"
        )
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    thick = max(1, round(max(rgb.shape[:2]) / 320))
    out = np.ascontiguousarray(rgb)
    cv2.drawContours(out, contours, -1, _SHADOW_RGB, thick + 1)
    cv2.drawContours(out, contours, -1, _OUTLINE_RGB, thick)
    return out


def render_clusters(labels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """RGB uint8 (H, W, 3) of a cluster label image in :data:`CLUSTER_RGB` (none is black)."""
    if labels.ndim != 2 or labels.dtype != np.uint8 or int(labels.max(initial=0)) > 3:
        raise FrameError(
            f"cluster labels must be uint8 (H, W) of 0..3, got {labels.dtype} {labels.shape}"
        )
    return np.take(np.array(CLUSTER_RGB, dtype=np.uint8), labels, axis=0)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an RGB (H, W, 3) or grey (H, W) uint8 image as PNG (creating its folders); returns
    the path. Encoded in memory first, then written whole or not at all: :class:`FrameError`
    when the image is not one of those, :class:`OutputError` naming the file and the cause
    (disk full, read-only, a file in the way) when it cannot be written."""
    path = Path(path)
    shape_ok = image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)
    if image.dtype != np.uint8 or not shape_ok or image.size == 0:
        raise FrameError(
            f"{path}: cannot write a {image.dtype} {image.shape} image as PNG; expected uint8 "
            "RGB (H, W, 3) or grey (H, W), not empty"
        )
    data = np.ascontiguousarray(image)
    if image.ndim == 3:  # RGB -> OpenCV's BGR (cvtColor: a reversed view copies slowly)
        data = cv2.cvtColor(data, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", data)
    if not ok:
        raise FrameError(f"{path}: PNG encoding failed for {image.dtype} {image.shape}")
    return write_bytes_atomically(path, encoded.tobytes())
