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
    if angle or dx or dy:
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
        matrix[:, 2] += (dx, dy)
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
    return np.ascontiguousarray(img), np.ascontiguousarray(msk)
