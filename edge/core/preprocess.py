"""The paper's two preprocessing steps, shared by training and the device.

1. **Colour correction.** Radiometric frames (°C or Lepton Y16) are mapped to RGB through a
   named palette over a *fixed* temperature span from config (``t_min``..``t_max``), so a colour
   always means the same temperature band and the codebook's RGB thresholds are fixed
   temperature bands. Pseudo-colour input is passed through as RGB unchanged.
2. **Resizing** to ``size`` × ``size`` (128 × 128 in the paper). Radiometric frames are resized
   in °C *before* colouring, so no palette colours are blended. The aspect ratio is not kept
   (160×120 becomes 128×128), as in the paper. Interpolation ``"auto"`` uses ``cv2.INTER_AREA``
   when both axes shrink (averages sensor noise instead of aliasing it, e.g. 640×480 DMR-IR) and
   ``cv2.INTER_LINEAR`` otherwise (160×120 → 128×128 grows the height by 128/120).

:func:`mask_to_frame` maps a model-size mask back to the input's own resolution (nearest
neighbour, so it stays 0/1); :func:`mask_to_model` does the reverse for ground truth (area
average, then ≥ 0.5, so thin lesions are neither dropped nor fattened by the resize).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.core.frame import Frame
from edge.errors import FrameError

__all__ = [
    "PALETTES",
    "PreprocessConfig",
    "celsius_at_model_size",
    "colorize",
    "mask_to_frame",
    "mask_to_model",
    "palette_lut",
    "resize_to_model",
    "to_model_input",
]

Palette = Literal["jet", "rainbow", "inferno", "iron", "gray"]
Interpolation = Literal["auto", "area", "linear", "cubic", "nearest"]

_CV_MAPS = {
    "jet": cv2.COLORMAP_JET,
    "rainbow": cv2.COLORMAP_RAINBOW,
    "inferno": cv2.COLORMAP_INFERNO,
}
# "Ironbow", the FLIR look: black → blue-violet → magenta → orange → yellow → white.
_IRON_STOPS = np.array(
    [
        [0, 0, 0],
        [32, 0, 140],
        [140, 0, 160],
        [230, 70, 40],
        [255, 170, 0],
        [255, 240, 120],
        [255, 255, 255],
    ],
    dtype=np.float64,
)
PALETTES: tuple[str, ...] = ("jet", "rainbow", "inferno", "iron", "gray")
_INTERP = {
    "area": cv2.INTER_AREA,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "nearest": cv2.INTER_NEAREST,
}


class PreprocessConfig(BaseModel):
    """How a frame becomes the model's 128×128×3 RGB input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    palette: Palette = Field("jet", description="palette mapping °C to RGB")
    t_min: float = Field(28.0, description="°C mapped to the palette's first colour")
    t_max: float = Field(38.0, description="°C mapped to the palette's last colour")
    size: int = Field(128, ge=16, le=1024, description="model input side in pixels")
    interpolation: Interpolation = Field("auto", description="resize interpolation")

    @model_validator(mode="after")
    def _span(self) -> PreprocessConfig:
        if not self.t_max > self.t_min:
            raise ValueError(f"t_max ({self.t_max}) must be greater than t_min ({self.t_min})")
        return self


@cache
def palette_lut(palette: str) -> npt.NDArray[np.uint8]:
    """The palette as a (256, 3) RGB uint8 lookup table."""
    if palette == "gray":
        ramp = np.arange(256, dtype=np.uint8)
        return np.stack([ramp, ramp, ramp], axis=1)
    if palette == "iron":
        x = np.linspace(0, 1, len(_IRON_STOPS))
        t = np.linspace(0, 1, 256)
        lut = np.stack([np.interp(t, x, _IRON_STOPS[:, c]) for c in range(3)], axis=1)
        return np.rint(lut).astype(np.uint8)
    if palette not in _CV_MAPS:
        raise FrameError(f"unknown palette {palette!r}; expected one of {', '.join(PALETTES)}")
    bgr = cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(256, 1), _CV_MAPS[palette])
    return np.ascontiguousarray(bgr.reshape(256, 3)[:, ::-1])


def colorize(
    celsius: npt.NDArray[np.float32], palette: str = "jet", t_min: float = 28.0, t_max: float = 38.0
) -> npt.NDArray[np.uint8]:
    """Map °C to RGB uint8 through ``palette`` over the fixed span ``t_min``..``t_max``."""
    scaled = (celsius.astype(np.float32) - np.float32(t_min)) * np.float32(255.0 / (t_max - t_min))
    idx = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    # np.take along the LUT's rows: the same pixels as ``lut[idx]``, about 4x faster.
    return np.take(palette_lut(palette), idx, axis=0)


def _interp_flag(src_hw: tuple[int, int], size: int, interpolation: str) -> int:
    if interpolation == "auto":
        shrinking = src_hw[0] >= size and src_hw[1] >= size
        return cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return _INTERP[interpolation]


def resize_to_model(image: np.ndarray, size: int = 128, interpolation: str = "auto") -> np.ndarray:
    """Resize a (H, W) or (H, W, 3) array to (size, size[, 3]) keeping its dtype."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    flag = _interp_flag((image.shape[0], image.shape[1]), size, interpolation)
    return cv2.resize(image, (size, size), interpolation=flag)


def celsius_at_model_size(frame: Frame, cfg: PreprocessConfig) -> npt.NDArray[np.float32] | None:
    """The frame's temperatures resized to the model grid, or None for pseudo-colour frames."""
    celsius = frame.celsius()
    if celsius is None:
        return None
    return resize_to_model(celsius, cfg.size, cfg.interpolation).astype(np.float32, copy=False)


def to_model_input(frame: Frame, cfg: PreprocessConfig) -> npt.NDArray[np.uint8]:
    """The model's RGB uint8 (size, size, 3) input for ``frame``."""
    celsius = celsius_at_model_size(frame, cfg)
    if celsius is not None:
        return colorize(celsius, cfg.palette, cfg.t_min, cfg.t_max)
    return resize_to_model(frame.pixels, cfg.size, cfg.interpolation)


def mask_to_frame(mask: npt.NDArray[np.uint8], shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """A model-size 0/1 mask back to the input's (H, W), nearest neighbour (stays 0/1)."""
    h, w = shape
    if mask.shape == (h, w):
        return mask
    return np.asarray(
        cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST), np.uint8
    )


def mask_to_model(mask: npt.NDArray[Any], size: int = 128) -> npt.NDArray[np.uint8]:
    """A full-resolution 0/1 (or 0/255) mask to (size, size) 0/1: area average, then ≥ 0.5."""
    binary = (np.asarray(mask) > 0).astype(np.float32)
    if binary.shape == (size, size):
        return binary.astype(np.uint8)
    flag = _interp_flag((binary.shape[0], binary.shape[1]), size, "auto")
    return (np.asarray(cv2.resize(binary, (size, size), interpolation=flag)) >= 0.5).astype(
        np.uint8
    )
