"""The close-up's normal warm zones and skin-temperature spread (helper of :mod:`edge.phantom.family_a`).

Drawn from their own random stream on top of the historical close-up anatomy: a warmer sternum and
intermammary cleft, hot axillae at the breasts' upper-outer corners, warm inframammary folds just
outside each breast's outline, warmer upper chest toward the neck, and a per-subject shift of the
whole skin temperature (cooler subjects and rooms). On a healthy subject the hottest skin is then
in these zones, outside the breast region, as in real frontal views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import Anatomy, BreastGeometry, breast_coords, grid

__all__ = ["Zones", "draw_zones", "zone_field"]

F32 = npt.NDArray[np.float32]
# Whole-skin shift bounds: the close-up's breast skin stays within 28.5–36.5 °C.
_OFFSET_RANGE = (-1.1, 0.3)


@dataclass(frozen=True)
class Zones:
    """One close-up subject's warm zones (°C) and skin shift."""

    shift_c: float
    sternum_c: float
    cleft_c: float
    axilla_c: float
    fold_c: float
    upper_c: float
    lateral_c: float  # left-right skin gradient across the torso


def draw_zones(rng: np.random.Generator, anatomy: Anatomy) -> Zones:
    """Draw the zones; the skin shift keeps the subject's total offset in bounds."""
    lo, hi = _OFFSET_RANGE
    shift = float(np.clip(rng.uniform(-1.5, 0.2), lo - anatomy.offset_c, hi - anatomy.offset_c))
    return Zones(
        shift_c=shift,
        sternum_c=float(rng.uniform(0.4, 1.3)),
        cleft_c=float(rng.uniform(0.3, 1.2)),
        axilla_c=float(rng.uniform(2.0, 4.5)),
        fold_c=float(rng.uniform(1.2, 3.0)),
        upper_c=float(rng.uniform(0.0, 1.0)),
        lateral_c=float(rng.uniform(-0.2, 0.2)),
    )


def zone_field(z: Zones, a: Anatomy, breasts: tuple[BreastGeometry, ...], h: int, w: int) -> F32:
    """The zones' added warmth and the skin shift, °C (apply on skin only)."""
    yy, xx = grid(h, w)
    tilt = math.radians(a.tilt_deg)
    c, s = np.float32(math.cos(tilt)), np.float32(math.sin(tilt))
    dx, dy = xx - np.float32(a.mid_x * w), yy - np.float32(a.breast_y * h)
    across = (dx * c - dy * s) / np.float32(w)
    along = (dx * s + dy * c) / np.float32(h)
    field = np.full((h, w), z.shift_c, np.float32)
    field += (
        z.sternum_c * np.exp(-((across / 0.035) ** 2)) * np.exp(-(((along + 0.15) / 0.25) ** 2))
    )
    field += z.cleft_c * np.exp(-((across / 0.02) ** 2)) * np.exp(-(((along - 0.03) / 0.1) ** 2))
    field += z.lateral_c * np.clip(across / np.float32(a.half_width), -1, 1)
    field += z.upper_c * np.clip((0.3 - yy / np.float32(h)) / 0.3, 0, 1)
    for i, b in enumerate(breasts):
        sign = 1.0 if i else -1.0
        ax, ay = b.cx + sign * 1.25 * b.rx, b.cy - 1.05 * b.ry_up
        spread = np.float32(2 * (0.25 * b.rx) ** 2)
        field += z.axilla_c * np.exp(
            -((xx - np.float32(ax)) ** 2 + (yy - np.float32(ay)) ** 2) / spread
        )
        r, v = breast_coords(b, yy, xx)
        below = np.clip(v / np.float32(b.ry_low) * 2.5 - 0.5, 0, 1)
        field += z.fold_c * np.exp(-(((r - 1.12) / 0.06) ** 2)) * below
    return field
