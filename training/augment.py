"""Seeded augmentation in °C, with the same geometry applied to the mask.

Augmenting in temperature (before :mod:`edge.core.preprocess` colours the frame) keeps training on
exactly what the device produces: a flipped, shifted, slightly warmer or noisier frame goes
through the same palette and resize as a live one. Pseudo-colour (RGB) frames only get the
geometric part.

* Horizontal flip: the whole image swaps left and right (the left breast becomes the right one);
  the mask flips with it.
* Small shift and rotation: one affine warp for image (linear, edge replicated) and mask
  (nearest, zero outside).
* Temperature offset (uniform ± ``offset_c``) and gaussian sensor noise (``noise_c`` σ), °C only.

Domain augmentation (ADR 0013; all off by default) randomises what differs between phantom
generators and rooms without changing the truth: the body's size and proportions (``scale``,
``aspect``, in the same warp), a linear temperature ramp in a random direction (``gradient_c``)
and smooth skin texture (``texture_c``). The °C terms are additive and the same with or without
a lesion, so a pixel the lesion warms by ≥ 0.5 °C still does.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AugmentConfig", "augment"]

log = logging.getLogger(__name__)


class AugmentConfig(BaseModel):
    """How strongly to perturb each training frame."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flip: float = Field(default=0.5, ge=0.0, le=1.0, description="probability of a left/right flip")
    shift: float = Field(
        default=0.05, ge=0.0, le=0.3, description="max shift, fraction of the side"
    )
    rotate_deg: float = Field(default=8.0, ge=0.0, le=45.0, description="max rotation in degrees")
    offset_c: float = Field(default=1.0, ge=0.0, description="max uniform temperature offset, °C")
    noise_c: float = Field(default=0.05, ge=0.0, description="gaussian noise sigma, °C")
    scale: float = Field(default=0.0, ge=0.0, le=0.5, description="max zoom, ± fraction")
    aspect: float = Field(
        default=0.0, ge=0.0, le=0.5, description="max stretch of one axis, ± fraction"
    )
    gradient_c: float = Field(
        default=0.0,
        ge=0.0,
        le=5.0,
        description="max slope of a linear ramp in a random direction, °C per frame width/height",
    )
    texture_c: float = Field(
        default=0.0, ge=0.0, le=2.0, description="max standard deviation of smooth texture, °C"
    )


TEXTURE_SCALE_PX = (1.5, 6.0)  # blur sigma range of the texture, in pixels of the frame


def augment(
    image: npt.NDArray[np.float32] | npt.NDArray[np.uint8],
    mask: npt.NDArray[np.uint8],
    rng: np.random.Generator,
    cfg: AugmentConfig | None = None,
) -> tuple[np.ndarray, npt.NDArray[np.uint8]]:
    """Perturb one (image, mask) pair; °C float32 (H, W) or RGB uint8 (H, W, 3) in, same out."""
    cfg = cfg or AugmentConfig()
    if image.shape[:2] != mask.shape:
        raise ValueError(f"image {image.shape[:2]} and mask {mask.shape} differ in size")
    radiometric = image.ndim == 2
    img: np.ndarray = image
    msk: np.ndarray = mask.astype(np.uint8)
    if rng.random() < cfg.flip:
        img = img[:, ::-1]
        msk = msk[:, ::-1]
    h, w = msk.shape
    angle = float(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg))
    dx = float(rng.uniform(-cfg.shift, cfg.shift)) * w
    dy = float(rng.uniform(-cfg.shift, cfg.shift)) * h
    zoom = _draw(rng, cfg.scale)
    stretch = _draw(rng, cfg.aspect)
    if angle or dx or dy or zoom != 1.0 or stretch != 1.0:
        matrix = _affine(w, h, angle, zoom, stretch, dx, dy)
        img = cv2.warpAffine(
            np.ascontiguousarray(img),
            matrix,
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        msk = cv2.warpAffine(
            np.ascontiguousarray(msk),
            matrix,
            (w, h),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
    if radiometric:
        offset = np.float32(rng.uniform(-cfg.offset_c, cfg.offset_c))
        noise = rng.normal(0.0, cfg.noise_c, size=img.shape).astype(np.float32)
        img = (img.astype(np.float32) + offset + noise).astype(np.float32)
        if cfg.gradient_c > 0:
            img += _ramp(rng, h, w, float(rng.uniform(0.0, cfg.gradient_c)))
        if cfg.texture_c > 0:
            img += _texture(rng, h, w, float(rng.uniform(0.0, cfg.texture_c)))
    return np.ascontiguousarray(img), np.ascontiguousarray(msk)


def _draw(rng: np.random.Generator, spread: float) -> float:
    """A factor in [1 - spread, 1 + spread] (exactly 1 when ``spread`` is 0: no draw)."""
    return 1.0 + float(rng.uniform(-spread, spread)) if spread > 0 else 1.0


def _affine(
    w: int, h: int, angle: float, zoom: float, stretch: float, dx: float, dy: float
) -> npt.NDArray[np.float64]:
    """Rotation and zoom about the centre, x stretched by ``stretch``, then a shift."""
    matrix = np.asarray(cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, zoom), np.float64)
    if stretch != 1.0:
        cx = w / 2.0
        matrix[0] *= stretch  # x' = stretch * (x' - cx) + cx
        matrix[0, 2] += cx * (1.0 - stretch)
    matrix[:, 2] += np.array((dx, dy))
    return matrix


def _ramp(rng: np.random.Generator, h: int, w: int, amplitude: float) -> npt.NDArray[np.float32]:
    """A linear ramp in a random direction, about zero mean: ``amplitude`` °C per frame width
    along x and per frame height along y, weighted by the direction's cosine and sine."""
    theta = float(rng.uniform(0.0, 2.0 * np.pi))
    # Two 1-D ramps broadcast: the same float32 arithmetic per pixel as on full coordinate grids.
    xs = np.cos(theta) * (np.arange(w, dtype=np.float32) - w / 2.0) / w
    ys = np.sin(theta) * (np.arange(h, dtype=np.float32) - h / 2.0) / h
    return (amplitude * (xs[None, :] + ys[:, None])).astype(np.float32)


def _texture(rng: np.random.Generator, h: int, w: int, sd: float) -> npt.NDArray[np.float32]:
    """Smooth zero-mean texture with standard deviation ``sd`` °C."""
    sigma = float(rng.uniform(*TEXTURE_SCALE_PX)) * max(h, w) / 160.0  # as on a Lepton frame
    white = rng.normal(0.0, 1.0, size=(h, w)).astype(np.float32)
    smooth = np.asarray(cv2.GaussianBlur(white, (0, 0), sigmaX=sigma), np.float32)
    smooth -= smooth.mean()
    spread = float(smooth.std())
    return (smooth * np.float32(sd / spread)).astype(np.float32) if spread > 0 else smooth
