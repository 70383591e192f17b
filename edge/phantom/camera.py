"""The camera between the skin and the pixels (helper of :mod:`edge.phantom.family_a`).

Deterministic per subject: optics blur, vignetting and a linear gradient across the frame (applied
to the noise-free anatomy); random per frame: NETD noise and the subject's fixed column and row
patterns. Lesion fields are added after the optics blur: they are already smoother than the blur,
and leaving them out keeps each lesion inside its breast exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import grid

__all__ = ["Camera", "apply_optics", "blur", "draw_camera", "sensor_noise"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Camera:
    """One subject's camera, in resolution-independent units."""

    blur: float  # optics blur sigma, lepton px
    vignette_c: float  # corner fall-off, °C
    grad_c: tuple[float, float]  # (top-to-bottom, left-to-right) gradient, °C
    netd_c: float
    column_c: float
    row_c: float


def draw_camera(rng: np.random.Generator, view: str) -> Camera:
    """Draw a camera; the Lepton close-up keeps its 50 mK NETD and 30 mK column pattern."""
    if view == "closeup":
        return Camera(
            blur=float(rng.uniform(0.3, 0.8)),
            vignette_c=float(rng.uniform(0.0, 0.5)),
            grad_c=(float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.2, 0.2))),
            netd_c=0.05,
            column_c=0.03,
            row_c=0.0,
        )
    return Camera(
        blur=float(rng.uniform(0.2, 0.7)),
        vignette_c=float(rng.uniform(0.0, 0.8)),
        grad_c=(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.5, 0.5))),
        netd_c=float(rng.uniform(0.03, 0.08)),
        column_c=float(rng.uniform(0.0, 0.04)),
        row_c=float(rng.uniform(0.0, 0.03)),
    )


def blur(camera: Camera, image: F32) -> F32:
    """The optics blur alone (also applied to the body alpha, so background stays background)."""
    sigma = camera.blur * image.shape[1] / 160.0
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.float32)


def apply_optics(camera: Camera, image: F32) -> F32:
    """Blur, vignetting and gradient on a noise-free render (new array)."""
    h, w = image.shape
    out = blur(camera, image)
    yy, xx = grid(h, w)
    ny, nx = yy / np.float32(h) - 0.5, xx / np.float32(w) - 0.5
    out -= np.float32(camera.vignette_c * 2.0) * (ny * ny + nx * nx)
    out += np.float32(camera.grad_c[0]) * ny + np.float32(camera.grad_c[1]) * nx
    return out


def sensor_noise(
    camera: Camera, h: int, w: int, pattern_rng: np.random.Generator, noise_rng: np.random.Generator
) -> F32:
    """NETD gaussian noise (``noise_rng``) plus the fixed column/row pattern (``pattern_rng``)."""
    columns = pattern_rng.normal(0.0, camera.column_c, w)
    noise = noise_rng.standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(camera.netd_c)
    noise += columns.astype(np.float32)[None, :]
    if camera.row_c > 0:
        noise += pattern_rng.normal(0.0, camera.row_c, h).astype(np.float32)[:, None]
    return noise
