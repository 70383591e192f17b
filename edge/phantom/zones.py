"""The close-up's normal warm zones (helper of :mod:`edge.phantom.family_a`).

Drawn from their own random stream on top of the historical close-up anatomy: a warmer sternum and
intermammary cleft, hot axillae at the breasts' upper-outer corners, warm inframammary folds just
outside each breast's outline, a warmer upper chest toward the neck (each zone drawn as a
temperature near the core's, so cooler skin shows a larger contrast), and a left-right gradient.
On a healthy subject the hottest skin is then in these zones, outside the breast region.

The close-up keeps the historical skin temperatures (31.5-34.5 °C before the zones) and a soft
ceiling on healthy skin: the project's fixed-span codebook and the tests built on it read
absolute temperature. Cooler skin and full-strength zones are in the wide view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import Anatomy, BreastGeometry, breast_coords, grid

__all__ = ["Zones", "draw_zones", "soft_cap", "zone_field"]

F32 = npt.NDArray[np.float32]
_SATURATION_C = 0.4


@dataclass(frozen=True)
class Zones:
    """One close-up subject's warm zones (°C)."""

    sternum_c: float
    cleft_c: float
    axilla_c: float
    fold_c: float
    upper_c: float
    lateral_c: float  # left-right skin gradient across the torso
    ceiling_c: float  # the zones warm the skin up to this temperature at most


def draw_zones(rng: np.random.Generator, anatomy: Anatomy) -> Zones:
    """Draw the zones of a close-up subject with this anatomy."""
    skin = 33.0 + anatomy.offset_c

    def toward(lo: float, hi: float, least: float) -> float:
        # Warm zones sit near core temperature whatever the skin: cool skin, bigger contrast.
        return max(least, float(rng.uniform(lo, hi)) - skin)

    return Zones(
        sternum_c=toward(33.0, 33.9, 0.2),
        cleft_c=toward(33.0, 34.0, 0.2),
        axilla_c=toward(33.5, 34.3, 0.4),
        fold_c=toward(33.3, 34.1, 0.3),
        upper_c=float(rng.uniform(0.0, 0.6)),
        lateral_c=float(rng.uniform(-0.2, 0.2)),
        ceiling_c=max(float(rng.uniform(33.6, 34.1)), skin + 0.6),
    )


def zone_field(z: Zones, a: Anatomy, breasts: tuple[BreastGeometry, ...], h: int, w: int) -> F32:
    """The zones' added warmth and the left-right gradient, °C (apply on skin only)."""
    yy, xx = grid(h, w)
    tilt = math.radians(a.tilt_deg)
    c, s = np.float32(math.cos(tilt)), np.float32(math.sin(tilt))
    dx, dy = xx - np.float32(a.mid_x * w), yy - np.float32(a.breast_y * h)
    across = (dx * c - dy * s) / np.float32(w)
    along = (dx * s + dy * c) / np.float32(h)
    field = np.float32(z.lateral_c) * np.clip(across / np.float32(a.half_width), -1, 1)
    warm = np.zeros((h, w), np.float32)
    warm += z.sternum_c * np.exp(-((across / 0.035) ** 2)) * np.exp(-(((along + 0.15) / 0.25) ** 2))
    warm += z.cleft_c * np.exp(-((across / 0.02) ** 2)) * np.exp(-(((along - 0.03) / 0.1) ** 2))
    warm += z.upper_c * np.clip((0.3 - yy / np.float32(h)) / 0.3, 0, 1)
    for i, b in enumerate(breasts):
        sign = 1.0 if i else -1.0
        ax, ay = b.cx + sign * 1.25 * b.rx, b.cy - 1.05 * b.ry_up
        spread = np.float32(2 * (0.25 * b.rx) ** 2)
        warm += z.axilla_c * np.exp(
            -((xx - np.float32(ax)) ** 2 + (yy - np.float32(ay)) ** 2) / spread
        )
        r, v = breast_coords(b, yy, xx)
        below = np.clip(v / np.float32(b.ry_low) * 2.5 - 0.5, 0, 1)
        warm += z.fold_c * np.exp(-(((r - 1.12) / 0.06) ** 2)) * below
    return (field + warm).astype(np.float32)


def soft_cap(z: Zones, celsius: F32, on_skin: F32) -> F32:
    """Skin above the subject's ceiling saturates ``_SATURATION_C`` above it (new array).

    A close-up is framed on the breasts: it shows the rims of the axillae and folds, not their
    hottest core, so a healthy close-up's skin stays below about 34.5 °C (lesions are added
    after this and keep their full excess).
    """
    over = np.maximum(celsius - np.float32(z.ceiling_c), 0.0)
    squashed = np.float32(_SATURATION_C) * (1.0 - np.exp(-over / np.float32(_SATURATION_C)))
    return celsius - (over - squashed) * on_skin
