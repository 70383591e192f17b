"""Family "d" lesions: anisotropic warm fields in breast coordinates (helper of :mod:`.family_d`).

* ``nodule``: an anisotropic (super-)Gaussian, flat-topped or peaked, with a warm *feeding
  vessel* running from it toward the breast's edge (neo-angiogenesis);
* ``quadrant``: a plateau-like diffuse warming of one quadrant of the breast;
* ``areolar``: an elongated warm crescent hugging the areola;
* ``fold``: an elongated warming along the lower pole, next to the inframammary fold.

Stages: *initial* one small nodule or areolar spot; *middle* one larger lesion of any look;
*advanced* a large lesion, and in most subjects a second one in the other breast. The caller
blurs each field with the optics and tapers it to zero at the breast outline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom._d_body import BreastD
from edge.phantom.rules import one_or_two_lesions

__all__ = ["LOOKS", "LesionD", "draw_lesions_d", "lesion_centre", "lesion_field"]

F32 = npt.NDArray[np.float32]
LOOKS = ("nodule", "quadrant", "areolar", "fold")


@dataclass(frozen=True)
class LesionD:
    """One lesion before placement: breast (0 = image left), look, peak °C, sizes cm, site."""

    side: int
    look: str
    peak: float
    major: float  # envelope sigma along the long axis, cm
    minor: float
    orient: float  # long axis, radians in the body frame
    flat: float  # 1 gaussian, 2-3 flat-topped
    site: tuple[float, float]  # (p, q) in the breast's normalised coordinates, image-left breast
    feeder: tuple[float, float, float]  # direction (radians), length cm, strength (0..1)


def _one(rng: np.random.Generator, stage: str, side: int) -> LesionD:
    if stage == "initial":
        look = "nodule" if rng.random() < 0.7 else "areolar"
    elif stage == "middle":
        look = str(rng.choice(LOOKS, p=[0.4, 0.2, 0.2, 0.2]))
    else:
        look = str(rng.choice(LOOKS, p=[0.4, 0.25, 0.1, 0.25]))
    scale = {"initial": 1.0, "middle": 1.5, "advanced": 2.1}[stage]
    major = float(rng.uniform(0.6, 1.1)) * scale
    minor = major * float(rng.uniform(0.45, 0.9))
    peak = float(rng.uniform(1.0, 1.8)) * (1.0 if stage == "initial" else 1.2)
    if look == "quadrant":
        peak = float(rng.uniform(0.9, 1.4))
    if rng.random() < 0.45:  # the upper-outer quadrant (image left breast: outer = left)
        site = (-float(rng.uniform(0.2, 0.6)), -float(rng.uniform(0.1, 0.55)))
    else:
        r, a = math.sqrt(float(rng.uniform(0.0, 0.45))), float(rng.uniform(-math.pi, math.pi))
        site = (r * math.cos(a), r * math.sin(a))
    if look == "fold":
        site = (float(rng.uniform(-0.45, 0.45)), float(rng.uniform(0.6, 0.8)))
        major, minor = major * 1.6 + 0.8, minor * 0.9
    return LesionD(
        side=side,
        look=look,
        peak=peak,
        major=major,
        minor=minor,
        orient=float(rng.uniform(0.0, math.pi)),
        flat=float(rng.uniform(1.0, 2.5)),
        site=site,
        feeder=(
            float(rng.uniform(-math.pi, math.pi)),
            float(rng.uniform(2.5, 6.0)),
            float(rng.uniform(0.0, 0.55)) if rng.random() < 0.75 else 0.0,
        ),
    )


def draw_lesions_d(rng: np.random.Generator, stage: str) -> list[LesionD]:
    """No lesion for ``normal``; one lesion, or for ``advanced`` mostly one in each breast."""
    return one_or_two_lesions(rng, stage, _one)


def _mirror(spec: LesionD, side: int) -> tuple[float, float]:
    """The site for breast ``side``: the outer quadrant is image-left on 0, image-right on 1."""
    p, q = spec.site
    return (p if side == 0 else -p, q)


def lesion_centre(spec: LesionD, side: int, b: BreastD, depth: float = 0.0) -> tuple[float, float]:
    """Body point (cm) of the lesion; ``depth`` 0..1 pulls it toward the breast's centre."""
    if spec.look == "areolar":
        reach = min(0.55, (b.areola_r + spec.minor) / b.half_w)  # beside it, on the breast
        a = spec.orient * 2.0
        p = b.nipple[0] + reach * math.cos(a)
        q = b.nipple[1] + reach * math.sin(a)
    else:
        p, q = _mirror(spec, side)
    k = 1.0 - depth
    return b.point(p * k, q * k)


def _segment_distance(x: F32, y: F32, a: tuple[float, float], b: tuple[float, float]) -> F32:
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = np.clip(((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(x - a[0] - t * dx, y - a[1] - t * dy).astype(np.float32)


def lesion_field(
    spec: LesionD,
    side: int,
    b: BreastD,
    centre: tuple[float, float],
    x: F32,
    y: F32,
    p: F32,
    q: F32,
    rho: F32,
) -> F32:
    """Excess °C of one lesion at every pixel (body points ``x``, ``y`` cm; breast ``p, q``)."""
    if spec.look == "quadrant":
        psi0 = math.atan2(_mirror(spec, side)[1], _mirror(spec, side)[0])
        off = np.abs(np.angle(np.exp(1j * (np.arctan2(q, p) - psi0))))
        sector = np.clip((1.2 - off) / 0.5, 0.0, 1.0)
        radial = np.clip((0.92 - rho) / 0.3, 0.0, 1.0)
        core = np.clip((rho - 0.05) / 0.2, 0.3, 1.0)  # less over the areola's own vessels
        out = sector * sector * (3.0 - 2.0 * sector) * radial * core
        return (np.float32(spec.peak) * out).astype(np.float32)
    orient = spec.orient
    if spec.look == "areolar":
        orient = spec.orient * 2.0 + math.pi / 2.0  # tangent to the areola
    elif spec.look == "fold":
        orient = b.tilt  # along the lower outline
    c, s = math.cos(orient), math.sin(orient)
    dx, dy = x - centre[0], y - centre[1]
    u = (dx * c + dy * s) / spec.major
    v = (-dx * s + dy * c) / spec.minor
    out = np.exp(-0.5 * (u * u + v * v) ** spec.flat)
    if spec.look == "nodule" and spec.feeder[2] > 0.0:
        angle, length, strength = spec.feeder
        end = (centre[0] + length * math.cos(angle), centre[1] + length * math.sin(angle))
        d = _segment_distance(x, y, centre, end)
        along = np.clip(1.0 - np.hypot(x - centre[0], y - centre[1]) / (length + 1e-3), 0.0, 1.0)
        out = np.maximum(out, strength * np.exp(-((d / 0.35) ** 2)) * (0.4 + 0.6 * along))
    return (np.float32(spec.peak) * out).astype(np.float32)
