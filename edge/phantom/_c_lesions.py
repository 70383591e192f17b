"""Family "c" lesions: five looks, each an excess-temperature field in cm (helper of :mod:`.family_c`).

* ``focal``: a compact hot nodule with a flat top (initial stage);
* ``lobed``: two to five lobes of different size merged by a soft maximum, their outline
  roughened by gradient-noise warping (irregular, multi-lobed);
* ``diffuse``: a broad, low-contrast warm area with a noisy falloff;
* ``ring``: a partial annulus around the areola (periareolar hyperthermia);
* ``fold``: a crescent that hugs the inframammary fold along the breast's lower outline.

Stages: *initial* one small focal or diffuse lesion; *middle* one larger lesion of any look;
*advanced* a large lesion, and in most subjects a second one in the other breast. Sites favour
the upper-outer quadrant. The caller blurs each field with the optics and tapers it to zero at
the breast outline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom._c_body import BreastC
from edge.phantom._c_texture import Lattice
from edge.phantom.rules import one_or_two_lesions

__all__ = ["LOOKS", "LesionC", "draw_lesions_c", "lesion_centre", "lesion_field"]

F32 = npt.NDArray[np.float32]
LOOKS = ("focal", "lobed", "diffuse", "ring", "fold")


@dataclass(frozen=True)
class LesionC:
    """One lesion before placement: breast (0 = image left), look, peak °C, size cm, site."""

    side: int
    look: str
    peak: float
    radius: float
    site_r: float  # 0..1 of the lower circle's radius
    site_angle: float  # 0 = lateral, +pi/2 = down, -pi/2 = up (mirrored per side)
    lobes: tuple[tuple[float, float, float, float], ...]  # dx, dy (radius units), size, weight
    roughness: float
    arc: tuple[float, float]  # ring: centre angle and half-width of the warm arc


def _one(rng: np.random.Generator, stage: str, side: int) -> LesionC:
    if stage == "initial":
        look = "focal" if rng.random() < 0.6 else "diffuse"
    elif stage == "middle":
        look = str(rng.choice(LOOKS, p=[0.1, 0.35, 0.2, 0.15, 0.2]))
    else:
        look = str(rng.choice(LOOKS[1:], p=[0.45, 0.2, 0.15, 0.2]))
    scale = {"initial": 1.0, "middle": 1.6, "advanced": 2.3}[stage]
    if look == "diffuse":
        peak, radius = rng.uniform(0.9, 1.5) * min(scale, 1.6), rng.uniform(2.2, 3.5)
    elif look == "focal":
        peak, radius = rng.uniform(1.0, 1.9), rng.uniform(0.6, 1.1) * scale
    else:
        peak, radius = rng.uniform(0.9, 1.4) * scale, rng.uniform(0.8, 1.2) * scale
    if rng.random() < 0.45:  # upper-outer quadrant
        site_r, angle = rng.uniform(0.3, 0.8), rng.uniform(-1.4, -0.3)
    else:
        site_r, angle = math.sqrt(rng.uniform(0.0, 0.6)), rng.uniform(-math.pi, math.pi)
    lobes = tuple(
        (
            float(rng.normal(0.0, 0.7)),
            float(rng.normal(0.0, 0.7)),
            float(rng.uniform(0.45, 1.0)),
            float(rng.uniform(0.7, 1.0)),
        )
        for _ in range(int(rng.integers(2, 6)))
    )
    return LesionC(
        side=side,
        look=look,
        peak=float(peak),
        radius=float(radius),
        site_r=float(site_r),
        site_angle=float(angle),
        lobes=lobes,
        roughness=float(rng.uniform(0.1, 0.35)),
        arc=(float(rng.uniform(-math.pi, math.pi)), float(rng.uniform(1.0, math.pi))),
    )


def draw_lesions_c(rng: np.random.Generator, stage: str) -> list[LesionC]:
    """No lesion for ``normal``; one lesion, or for ``advanced`` mostly one in each breast."""
    return one_or_two_lesions(rng, stage, _one)


def lesion_centre(spec: LesionC, b: BreastC, depth: float = 0.0) -> tuple[float, float]:
    """Body point (cm) of the lesion; ``depth`` 0..1 pulls it toward the breast's centre."""
    cx, cy = b.centre()
    if spec.look == "ring":
        return b.nipple
    if spec.look == "fold":
        x, y = cx, cy + b.r_lower - max(1.0, 0.8 * spec.radius)
    else:
        angle = spec.site_angle if spec.side == 1 else math.pi - spec.site_angle
        r = spec.site_r * b.r_lower
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
    return x + (cx - x) * depth, y + (cy - y) * depth


def _plateau(q: F32) -> F32:
    t = np.clip((1.3 - q) / 0.7, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def lesion_field(
    spec: LesionC,
    b: BreastC,
    centre: tuple[float, float],
    u: F32,
    y: F32,
    breast_d: F32,
    lattice: Lattice,
) -> F32:
    """Excess °C of one lesion at every pixel (body points ``u``, ``y`` cm)."""
    dx, dy = (u - centre[0]) / spec.radius, (y - centre[1]) / spec.radius
    if spec.look in ("lobed", "diffuse", "focal"):
        # Noise warping roughens the outline; coordinates stay in radius units.
        k = 20 + 3 * spec.side
        rough = spec.roughness if spec.look != "focal" else 0.05
        dx = dx + rough * lattice.noise(k, u, y, 0.9 * spec.radius)
        dy = dy + rough * lattice.noise(k + 1, u, y, 0.9 * spec.radius)
    if spec.look == "focal":
        out = _plateau(np.hypot(dx, dy))
    elif spec.look == "diffuse":
        out = np.exp(-0.9 * (dx * dx + dy * dy)).astype(np.float32)
    elif spec.look == "lobed":
        missed = np.ones(u.shape, np.float32)  # a probabilistic union keeps the peak <= 1
        for lx, ly, size, weight in spec.lobes:
            q2 = ((dx - lx) ** 2 + (dy - ly) ** 2) / (size * size)
            missed *= 1.0 - np.float32(weight) * np.exp(-1.5 * q2).astype(np.float32)
        out = (1.0 - missed).astype(np.float32)
    elif spec.look == "ring":
        r = np.hypot(u - centre[0], y - centre[1])
        inner = b.areola_r + 0.4 * spec.radius
        band = np.exp(-(((r - inner) / (0.6 * spec.radius)) ** 2))
        angle = np.arctan2(y - centre[1], u - centre[0])
        off = np.abs(np.angle(np.exp(1j * (angle - spec.arc[0]))))
        arc = np.clip((spec.arc[1] + 0.6 - off) / 0.6, 0.0, 1.0)
        out = (band * arc).astype(np.float32)
    else:  # fold: along the lower outline, fading with the distance from the breast's bottom
        along = np.exp(-(((u - centre[0]) / (2.2 * spec.radius + 1.5)) ** 2))
        inside = np.exp(-(((breast_d + 0.8 * spec.radius) / (0.7 * spec.radius)) ** 2))
        lower = np.clip((y - b.centre()[1]) / (0.3 * b.r_lower), 0.0, 1.0)
        out = (along * inside * lower).astype(np.float32)
    return (np.float32(spec.peak) * out).astype(np.float32)
