"""Alert evidence: the thermogram in its palette with the warm regions outlined, each counted
region's ΔT written next to it and a °C scale bar, as PNG bytes a clinician can look at.

The image is the camera frame (160×120 on a Lepton) enlarged ``scale`` times so the labels are
legible, with a bar on the right mapping the palette to °C. Counted regions are outlined in
white, uncounted ones (context only) in grey. OpenCV's fonts have no Δ or °, so labels read
``dT +1.4C``. A footer says it is a screening aid. Frames without temperatures (pseudo-colour
pictures) keep their own colours and get no scale bar.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.core.analysis import Region
from edge.core.frame import Frame
from edge.core.preprocess import colorize, palette_lut
from edge.errors import FrameError

__all__ = ["Snapshot", "encode_png", "render_snapshot"]

_WHITE = (255, 255, 255)
_GREY = (150, 150, 150)
_BLACK = (0, 0, 0)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BAR_W = 64  # scale bar column, pixels
_FOOTER_H = 22  # footer rows, pixels
_PANEL = 24  # grey level of the bar and footer background


@dataclass(frozen=True)
class Snapshot:
    """A rendered snapshot: its pixels (kept in OpenCV's BGR order) and their PNG encoding."""

    bgr: npt.NDArray[np.uint8]
    png: bytes

    @property
    def rgb(self) -> npt.NDArray[np.uint8]:
        """The pixels as RGB uint8 (a view)."""
        return self.bgr[..., ::-1]

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple) -> None:
    cv2.putText(img, text, org, _FONT, scale, _BLACK, 3, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, colour, 1, cv2.LINE_AA)


@functools.lru_cache(maxsize=4)
def _scale_bar(height: int, palette: str, t_min: float, t_max: float) -> npt.NDArray[np.uint8]:
    """The °C scale bar column, BGR (the same for every snapshot of a device: cached)."""
    bar = np.full((height, _BAR_W, 3), _PANEL, np.uint8)
    top, bottom = 12, height - 12
    lut = palette_lut(palette)
    levels = np.linspace(255, 0, bottom - top).astype(np.uint8)  # warm on top
    bar[top:bottom, 6:22] = lut[levels][:, None, ::-1]
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = round(top + frac * (bottom - top - 1))
        value = t_max - frac * (t_max - t_min)
        cv2.line(bar, (22, y), (27, y), _WHITE, 1)
        _text(bar, f"{value:.1f}C", (28, y + 4), 0.35, _WHITE)
    bar.flags.writeable = False
    return bar


def _counted_layers(mask: npt.NDArray[np.uint8], regions: Sequence[Region]) -> np.ndarray:
    """1 on the pixels of uncounted regions, 2 on counted ones (components matched to regions
    by their bounding box, the way the analysis labels them: 8-connectivity)."""
    out = np.zeros(mask.shape, np.uint8)
    if not mask.any():
        return out
    counted = {tuple(r.bbox): r.counted for r in regions}
    n, comps, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        box = tuple(int(v) for v in stats[i, :4])
        if box in counted:  # smaller than min_region_px: not a region, not drawn
            out[comps == i] = 2 if counted[box] else 1
    return out


def render_snapshot(
    frame: Frame,
    mask: npt.NDArray[np.uint8],
    regions: Sequence[Region],
    *,
    palette: str = "jet",
    t_min: float = 28.0,
    t_max: float = 38.0,
    scale: int = 3,
    caption: str = "",
) -> Snapshot:
    """The evidence image of one frame (``mask`` 0/1 at the frame's resolution)."""
    if scale < 1:
        raise ValueError(f"snapshot scale must be >= 1, got {scale}")
    celsius = frame.celsius()
    rgb = frame.pixels if celsius is None else colorize(celsius, palette, t_min, t_max)
    if mask.shape != rgb.shape[:2]:
        raise FrameError(
            f"{frame.source or 'frame'}: mask {mask.shape} does not match frame {rgb.shape[:2]}"
        )
    h, w = rgb.shape[:2]
    # Drawn in BGR (OpenCV's order; the outline and text colours are greys, the same in both)
    # so the PNG is encoded without converting the enlarged image.
    small = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    # Nearest: the camera's own pixels, no invented detail, and a PNG several times smaller.
    big = cv2.resize(small, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
    labels = _counted_layers(mask, regions)
    for value, colour in ((1, _GREY), (2, _WHITE)):
        layer = cv2.resize(
            (labels == value).astype(np.uint8),
            (w * scale, h * scale),
            interpolation=cv2.INTER_NEAREST,
        )
        contours, _ = cv2.findContours(layer, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(big, contours, -1, _BLACK, 3)
        cv2.drawContours(big, contours, -1, colour, 1 if value == 1 else 2)
    for region in regions:
        if not region.counted or region.delta_t_c is None:
            continue
        x, y = region.bbox[:2]
        org = (min(x * scale, w * scale - 90), max(14, y * scale - 5))
        _text(big, f"dT {region.delta_t_c:+.1f}C", org, 0.45, _WHITE)
    # One padded copy holds the image, the bar column and the footer (no stacking copies).
    bar_w = _BAR_W if celsius is not None else 0
    grey = (_PANEL, _PANEL, _PANEL)
    out: npt.NDArray[np.uint8] = np.asarray(
        cv2.copyMakeBorder(big, 0, _FOOTER_H, 0, bar_w, cv2.BORDER_CONSTANT, value=grey), np.uint8
    )
    if celsius is not None:
        out[: big.shape[0], big.shape[1] :] = _scale_bar(big.shape[0], palette, t_min, t_max)
    footer = out[big.shape[0] :]  # whole rows: a contiguous view OpenCV draws into
    _text(footer, caption or "screening aid - not a diagnosis", (6, 15), 0.4, _WHITE)
    return Snapshot(out, _encode_bgr(out))


def encode_png(rgb: npt.NDArray[np.uint8]) -> bytes:
    """PNG bytes of an RGB uint8 image."""
    # A reversed view copies slowly; cvtColor does it in one pass.
    return _encode_bgr(
        np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR), np.uint8)
    )


def _encode_bgr(bgr: npt.NDArray[np.uint8]) -> bytes:
    # Level 3: about 2.5x smaller than OpenCV's default 1. The "up" filter alone: a snapshot
    # is enlarged by repeating rows, which "up" turns into zeros; trying every filter on every
    # row (libpng's default) costs more than twice the time for the same size (bench_dashboard).
    ok, buf = cv2.imencode(
        ".png",
        bgr,
        [cv2.IMWRITE_PNG_COMPRESSION, 3, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP],
    )
    if not ok:
        raise FrameError("snapshot: OpenCV could not encode the PNG")
    return bytes(buf.tobytes())
