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

Options beyond the paper (named, off by default, recorded in every model manifest):

* ``crop = "roi"``: the frame is first cropped to the breast region's box
  (:func:`edge.core.roi.find_roi`, symmetric about the body midline), so a wide 640×480
  clinical view does not shrink a lesion to a pixel or two; masks map back into that box.
* ``span = "body"``: the palette span is anchored on the body's own median °C
  (``median - span_below_c`` .. ``median + span_above_c``) instead of a fixed band, since skin
  temperature differs by several degrees between people and rooms.
* ``encoding = "delta"``: instead of a palette, three channels that carry warmth *relative* to
  the subject: the body-relative temperature over the span, the difference to the mirrored
  (contralateral) pixel, and the excess over a smooth local baseline (±``delta_range_c`` each).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.core._median import masked_median, median
from edge.core.frame import Frame
from edge.core.imaging import body_and_levels
from edge.core.roi import BreastROI, RoiConfig, find_roi_and_levels
from edge.errors import FrameError

__all__ = [
    "PALETTES",
    "ModelInput",
    "PreprocessConfig",
    "celsius_at_model_size",
    "colorize",
    "mask_to_frame",
    "mask_to_model",
    "model_input",
    "palette_lut",
    "resize_to_model",
    "to_model_input",
]

U8 = npt.NDArray[np.uint8]
Palette = Literal["jet", "rainbow", "rainbow_r", "inferno", "iron", "gray"]
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
PALETTES: tuple[str, ...] = ("jet", "rainbow", "rainbow_r", "inferno", "iron", "gray")
_INTERP = {
    "area": cv2.INTER_AREA,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "nearest": cv2.INTER_NEAREST,
}


class PreprocessConfig(BaseModel):
    """How a frame becomes the model's 128×128×3 RGB input."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    palette: Palette = Field("jet", description="palette mapping °C to RGB")
    t_min: float = Field(28.0, description="°C mapped to the palette's first colour")
    t_max: float = Field(38.0, description="°C mapped to the palette's last colour")
    size: int = Field(128, ge=16, le=1024, description="model input side in pixels")
    interpolation: Interpolation = Field("auto", description="resize interpolation")
    crop: Literal["none", "roi"] = Field(
        "none", description="'roi': crop to the breast region's box before resizing"
    )
    roi: RoiConfig = Field(default_factory=RoiConfig, description="breast ROI (crop = 'roi')")
    span: Literal["fixed", "body"] = Field(
        "fixed", description="'fixed': t_min..t_max; 'body': anchored on the body median °C"
    )
    span_below_c: float = Field(4.0, gt=0.0, description="span = 'body': °C below the median")
    span_above_c: float = Field(6.0, gt=0.0, description="span = 'body': °C above the median")
    encoding: Literal["palette", "delta"] = Field(
        "palette", description="'palette' (the paper's) or 'delta' (relative-warmth channels)"
    )
    delta_range_c: float = Field(
        2.0, gt=0.0, description="encoding = 'delta': ± °C of the contralateral/local channels"
    )

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
    if palette == "rainbow_r":
        # OpenCV's rainbow runs red -> blue from cool to warm; reversed, red is warmest and the
        # paper's red, green and blue boxes are all reachable (docs/decisions/codebook-palette.md).
        return np.ascontiguousarray(palette_lut("rainbow")[::-1])
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


@dataclass(frozen=True)
class ModelInput:
    """A frame's model input and where it came from in the frame."""

    image: npt.NDArray[np.uint8]  # RGB uint8 (size, size, 3)
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the frame the input shows
    roi: BreastROI | None  # the breast ROI, when cropping found one
    baseline_c: float | None  # the body median °C the span and channels are relative to


def _encode_delta(celsius: npt.NDArray[np.float32], lo: float, hi: float, rng: float) -> U8:
    size = celsius.shape[0]
    scale = np.float32(127.5 / rng)
    rel = celsius - np.float32(lo)
    rel *= np.float32(255.0 / (hi - lo))
    mirror = celsius - celsius[:, ::-1]
    local = celsius - cv2.GaussianBlur(celsius, (0, 0), sigmaX=size / 16.0)
    # In place and rounded once for all three channels: the same arithmetic per pixel as
    # rounding each channel on its own, without a temporary per step.
    for channel in (mirror, local):
        channel *= scale
        channel += np.float32(127.5)
    out = np.asarray(cv2.merge([rel, mirror, local]), dtype=np.float32)
    np.clip(out, 0, 255, out=out)
    # Within 0..255, OpenCV's conversion rounds half to even like np.rint: one pass for
    # rint and astype (clipped first: out of int range it would not saturate).
    return np.asarray(cv2.convertScaleAbs(out), np.uint8)


def model_input(frame: Frame, cfg: PreprocessConfig) -> ModelInput:
    """The model's RGB uint8 (size, size, 3) input for ``frame``, with its crop box."""
    h, w = frame.shape
    celsius = frame.celsius()
    if celsius is None:
        rgb = resize_to_model(frame.pixels, cfg.size, cfg.interpolation)
        return ModelInput(rgb, (0, 0, w, h), None, None)
    roi, levels = find_roi_and_levels(celsius, cfg.roi) if cfg.crop == "roi" else (None, None)
    box = roi.box if roi is not None else (0, 0, w, h)
    x0, y0, x1, y1 = box
    small = resize_to_model(celsius[y0:y1, x0:x1], cfg.size, cfg.interpolation).astype(
        np.float32, copy=False
    )
    baseline = None
    lo, hi = cfg.t_min, cfg.t_max
    if cfg.span == "body" or cfg.encoding == "delta":
        # The levels the body was found on are the ones its median is searched with.
        body, levels = (roi.body, levels) if roi is not None else body_and_levels(celsius, None)
        baseline = masked_median(celsius, body, levels) if body.any() else median(celsius.ravel())
        if cfg.span == "body":
            lo, hi = baseline - cfg.span_below_c, baseline + cfg.span_above_c
    if cfg.encoding == "delta":
        image = _encode_delta(small, lo, hi, cfg.delta_range_c)
    else:
        image = colorize(small, cfg.palette, lo, hi)
    return ModelInput(image, box, roi, baseline)


def to_model_input(frame: Frame, cfg: PreprocessConfig) -> npt.NDArray[np.uint8]:
    """The model's RGB uint8 (size, size, 3) input for ``frame``."""
    return model_input(frame, cfg).image


def mask_to_frame(
    mask: npt.NDArray[np.uint8],
    shape: tuple[int, int],
    box: tuple[int, int, int, int] | None = None,
) -> npt.NDArray[np.uint8]:
    """A model-size 0/1 mask back to the input's (H, W), nearest neighbour (stays 0/1).

    With ``box`` (the crop the model saw) the mask fills that box and the rest is 0."""
    h, w = shape
    if box is not None and tuple(box) != (0, 0, w, h):
        x0, y0, x1, y1 = box
        full = np.zeros((h, w), dtype=np.uint8)
        full[y0:y1, x0:x1] = mask_to_frame(mask, (y1 - y0, x1 - x0))
        return full
    if mask.shape == (h, w):
        return mask
    return np.asarray(
        cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST), np.uint8
    )


def mask_to_model(
    mask: npt.NDArray[Any], size: int = 128, box: tuple[int, int, int, int] | None = None
) -> npt.NDArray[np.uint8]:
    """A full-resolution 0/1 (or 0/255) mask to (size, size) 0/1: area average, then ≥ 0.5.

    With ``box`` only that crop of the mask is taken (the crop the model input shows)."""
    m = np.asarray(mask)
    if box is not None:
        x0, y0, x1, y1 = box
        m = m[y0:y1, x0:x1]
    binary = (m > 0).astype(np.float32)
    if binary.shape == (size, size):
        return binary.astype(np.uint8)
    flag = _interp_flag((binary.shape[0], binary.shape[1]), size, "auto")
    return (np.asarray(cv2.resize(binary, (size, size), interpolation=flag)) >= 0.5).astype(
        np.uint8
    )
