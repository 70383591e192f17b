"""Skin detail shared by both views (helper of :mod:`edge.phantom.family_a`).

Mottling (two scales of smooth noise), superficial vessels (smooth random walks) and the areolae
with their nipples, each cool or warm. Everything is drawn in body units, on fixed grids that are
resized to the frame, so one subject looks alike at 160×120 and 640×480.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import BreastGeometry, breast_coords, grid

__all__ = ["Skin", "areola_field", "draw_skin", "texture_field", "vessel_field"]

F32 = npt.NDArray[np.float32]
# Texture grid cells per frame: a close-up magnifies the skin about twice as much as a wide view.
_GRID = {"closeup": ((14, 18), (48, 64)), "wide": ((24, 32), (96, 128))}


@dataclass(frozen=True)
class Skin:
    """One subject's skin detail in resolution-independent units."""

    view: str
    coarse: npt.NDArray[np.float64]
    fine: npt.NDArray[np.float64]
    coarse_c: float
    fine_c: float
    vessel_c: float
    vessel_width: float  # lepton px at the view's scale
    vessels: tuple[npt.NDArray[np.float64], ...]  # (n, 2) points (y, x), fractions of the frame
    areola_c: float  # signed: cool or warm areola
    areola_r: float  # fraction of the breast's horizontal semi-axis
    nipple_c: float
    areola_drop: float  # areola centre below the breast centre, fraction of ry_low


def draw_skin(
    rng: np.random.Generator, view: str, region: tuple[float, float, float, float]
) -> Skin:
    """Draw skin detail; ``region`` = (y0, y1, x0, x1) fractions where vessels start."""
    coarse_shape, fine_shape = _GRID[view]
    vessels = []
    y0, y1, x0, x1 = region
    for _ in range(int(rng.integers(4, 10))):
        y, x = rng.uniform(y0, y1), rng.uniform(x0, x1)
        heading = rng.uniform(0.0, 2.0 * math.pi)
        step = 0.02 if view == "wide" else 0.035
        points = []
        for turn in rng.normal(0.0, 0.4, int(rng.integers(6, 14))):
            points.append((y, x))
            heading += float(turn)
            y, x = y + step * math.sin(heading), x + step * 0.75 * math.cos(heading)
        vessels.append(np.array(points))
    warm = bool(rng.uniform() < 0.4)
    return Skin(
        view=view,
        # Clipped tails: mottling never makes a single spot of skin implausibly hot or cold.
        coarse=np.clip(rng.standard_normal(coarse_shape), -2.2, 2.2),
        fine=np.clip(rng.standard_normal(fine_shape), -2.2, 2.2),
        # A close-up shows each breast over many coarse cells' worth: keep whole-breast means close.
        coarse_c=float(rng.uniform(0.15, 0.35) * (0.4 if view == "closeup" else 1.0)),
        fine_c=float(rng.uniform(0.25, 0.55) * (1.7 if view == "wide" else 1.45)),
        vessel_c=float(rng.uniform(0.3, 0.9)),
        vessel_width=float(rng.uniform(0.6, 1.2)),
        vessels=tuple(vessels),
        areola_c=float(rng.uniform(0.2, 0.8) * (1 if warm else -1)),
        areola_r=float(rng.uniform(0.16, 0.28)),
        nipple_c=float(rng.uniform(0.2, 1.0) * (1 if warm else -1)),
        areola_drop=float(rng.uniform(0.0, 0.3)),
    )


def _resize(values: npt.NDArray[np.float64], h: int, w: int) -> F32:
    out = cv2.resize(values.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.asarray(out, dtype=np.float32)


def texture_field(skin: Skin, h: int, w: int) -> F32:
    """Zero-mean mottling, °C."""
    field = np.float32(skin.coarse_c) * _resize(skin.coarse, h, w)
    field += np.float32(skin.fine_c) * _resize(skin.fine, h, w)
    return field


def vessel_field(skin: Skin, h: int, w: int) -> F32:
    """Warm superficial vessels, °C (zero off the vessels)."""
    s = w / 160.0 * (0.5 if skin.view == "wide" else 1.0)
    canvas = np.zeros((h, w), np.float32)
    thickness = max(1, round(skin.vessel_width * s))
    for points in skin.vessels:
        xy = np.rint(points[:, ::-1] * np.array([w, h]) * 16).astype(np.int32)
        cv2.polylines(canvas, [xy.reshape(-1, 1, 2)], False, 1.0, thickness, cv2.LINE_AA, shift=4)
    canvas = np.asarray(cv2.GaussianBlur(canvas, (0, 0), max(0.5, 0.6 * s)), dtype=np.float32)
    top = float(canvas.max())
    return canvas * np.float32(skin.vessel_c / top) if top > 0 else canvas


def areola_field(skin: Skin, breasts: tuple[BreastGeometry, ...], h: int, w: int) -> F32:
    """Areolae and nipples (cool or warm), °C, inside each breast."""
    yy, xx = grid(h, w)
    field = np.zeros((h, w), np.float32)
    for b in breasts:
        centre = BreastGeometry(
            cy=b.cy + skin.areola_drop * b.ry_low * math.cos(b.tilt),
            cx=b.cx - skin.areola_drop * b.ry_low * math.sin(b.tilt),
            rx=skin.areola_r * b.rx,
            ry_low=skin.areola_r * b.rx,
            ry_up=skin.areola_r * b.rx,
            tilt=b.tilt,
        )
        r, _ = breast_coords(centre, yy, xx)
        field += np.float32(skin.areola_c) / (1.0 + r**6)
        field += np.float32(skin.nipple_c) * np.exp(-((r / np.float32(0.3)) ** 2))
    return field
