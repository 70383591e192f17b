"""Family "b" lesions: shapes, profiles, contrasts and sites (helper of :mod:`.family_b`).

A lesion is an excess-temperature field in body units: a shape (irregular outline from angular
harmonics, noise-warped, elongated, or multifocal) gives a normalised distance ``q`` (1 at the
nominal outline), and a profile turns ``q`` into a fraction of the peak (plateau, gaussian or
ring). Sites: upper-outer quadrant, near the inframammary fold, at the areola, or anywhere in
the breast. The caller tapers the field to zero at the breast outline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom._b_anatomy import BreastB, breast_point

__all__ = ["LesionSpecB", "draw_lesions_b", "lesion_centre", "lesion_field"]

F32 = npt.NDArray[np.float32]

SHAPES = ("irregular", "warped", "elongated", "multifocal")
PROFILES = ("plateau", "gaussian", "ring")
SITES = ("upper_outer", "fold", "areola", "anywhere")


@dataclass(frozen=True)
class LesionSpecB:
    """One lesion before placement: side (0 = image left), look, contrast, size, site."""

    side: int
    shape: str
    profile: str
    peak_c: float
    radius: float  # body units
    site: str
    rho: float
    theta_lateral: float  # angle with 0 = lateral, +pi/2 = down
    aspect: float
    orient: float
    harmonics: tuple[tuple[float, float], ...]  # (amplitude, phase) for k = 2, 3, ...
    warp: tuple[tuple[float, float, float, float], ...]  # (kx, ky, phase, amplitude)
    foci: tuple[tuple[float, float, float], ...]  # (dx, dy, scale) in radius units


def _site(rng: np.random.Generator) -> tuple[str, float, float]:
    site = str(rng.choice(SITES, p=[0.35, 0.2, 0.15, 0.3]))
    if site == "upper_outer":
        return site, float(rng.uniform(0.3, 0.7)), float(rng.uniform(-1.4, -0.2))
    if site == "fold":
        return site, float(rng.uniform(0.55, 0.75)), float(rng.uniform(1.1, 2.0))
    if site == "areola":
        return site, float(rng.uniform(0.0, 0.2)), float(rng.uniform(-math.pi, math.pi))
    return site, float(np.sqrt(rng.uniform(0.0, 0.5))), float(rng.uniform(-math.pi, math.pi))


def _one(rng: np.random.Generator, stage: str, side: int) -> LesionSpecB:
    if stage == "initial":
        diffuse = rng.random() < 0.5
        peak = rng.uniform(0.6, 1.2) if diffuse else rng.uniform(0.9, 1.6)
        radius = rng.uniform(0.06, 0.11) if diffuse else rng.uniform(0.035, 0.06)
    elif stage == "middle":
        peak, radius = rng.uniform(1.0, 2.2), rng.uniform(0.055, 0.1)
    else:
        peak, radius = rng.uniform(1.8, 3.3), rng.uniform(0.08, 0.15)
    site, rho, theta = _site(rng)
    return LesionSpecB(
        side=side,
        shape=str(rng.choice(SHAPES, p=[0.35, 0.25, 0.25, 0.15])),
        profile=str(rng.choice(PROFILES, p=[0.4, 0.4, 0.2])),
        peak_c=float(peak),
        radius=float(radius),
        site=site,
        rho=rho,
        theta_lateral=theta,
        aspect=float(rng.uniform(1.6, 3.0)),
        orient=float(rng.uniform(0, math.pi)),
        harmonics=tuple(
            (float(rng.uniform(0.05, 0.25)), float(rng.uniform(0, 2 * math.pi))) for _ in range(3)
        ),
        warp=tuple(
            (
                float(rng.normal(0, 2.5)),
                float(rng.normal(0, 2.5)),
                float(rng.uniform(0, 2 * math.pi)),
                float(rng.uniform(0.1, 0.3)),
            )
            for _ in range(3)
        ),
        foci=tuple(
            (
                float(rng.uniform(-1.2, 1.2)),
                float(rng.uniform(-1.2, 1.2)),
                float(rng.uniform(0.4, 0.7)),
            )
            for _ in range(int(rng.integers(2, 5)))
        ),
    )


def draw_lesions_b(rng: np.random.Generator, stage: str) -> list[LesionSpecB]:
    """No lesion for ``normal``; one (sometimes two, in the advanced stage) otherwise."""
    if stage == "normal":
        return []
    side = int(rng.integers(0, 2))
    specs = [_one(rng, stage, side)]
    if stage == "advanced" and rng.random() < 0.25:
        specs.append(_one(rng, stage, side if rng.random() < 0.5 else 1 - side))
    return specs


def lesion_centre(spec: LesionSpecB, b: BreastB, rho_scale: float = 1.0) -> tuple[float, float]:
    """Body (u, v) of the lesion centre: ``theta_lateral`` is mirrored so 0 points lateral."""
    if spec.site == "areola":
        return b.cu + b.nipple_du, b.cv + b.nipple_dv
    theta = spec.theta_lateral if spec.side == 1 else math.pi - spec.theta_lateral
    return breast_point(b, spec.rho * rho_scale, theta)


def _profile(profile: str, q: F32) -> F32:
    if profile == "plateau":
        t = np.clip((1.25 - q) / 0.6, 0.0, 1.0)
        return (t * t * (3 - 2 * t)).astype(np.float32)
    if profile == "gaussian":
        return np.exp(-1.4 * q * q).astype(np.float32)
    core = 0.65 + 0.35 * np.exp(-(((q - 0.75) / 0.25) ** 2))
    t = np.clip((1.3 - q) / 0.45, 0.0, 1.0)
    return (np.where(q < 0.75, core, 1.0) * t * t * (3 - 2 * t)).astype(np.float32)


def lesion_field(spec: LesionSpecB, centre: tuple[float, float], uu: F32, vv: F32) -> F32:
    """Excess °C of one lesion at every pixel (body coordinates ``uu``, ``vv``)."""
    x = (uu - centre[0]) / spec.radius
    y = (vv - centre[1]) / spec.radius
    if spec.shape == "multifocal":
        out = np.zeros(uu.shape, np.float32)
        for fx, fy, scale in spec.foci:
            q = np.hypot(x - fx, y - fy) / scale
            out = np.maximum(out, _profile(spec.profile, q))
        return (spec.peak_c * out).astype(np.float32)
    if spec.shape == "elongated":
        c, s = math.cos(spec.orient), math.sin(spec.orient)
        a = math.sqrt(spec.aspect)
        q = np.hypot((c * x + s * y) / a, (-s * x + c * y) * a)
    elif spec.shape == "warped":
        wx, wy = x.copy(), y.copy()
        for kx, ky, phase, amp in spec.warp:
            wave = amp * np.sin(kx * x + ky * y + phase)
            wx += wave
            wy += amp * np.cos(ky * x - kx * y + phase)
        q = np.hypot(wx, wy)
    else:
        angle = np.arctan2(y, x)
        outline = np.ones(uu.shape, np.float32)
        for k, (amp, phase) in enumerate(spec.harmonics, start=2):
            outline += amp * np.cos(k * angle + phase)
        q = np.hypot(x, y) / np.maximum(outline, 0.3)
    return (spec.peak_c * _profile(spec.profile, q.astype(np.float32))).astype(np.float32)
