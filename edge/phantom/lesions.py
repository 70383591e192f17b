"""Irregular warm lesions for synthetic thermograms (helper of :mod:`edge.phantom.generator`).

A lesion is a sum of 3–5 anisotropic gaussians jittered around its centre, modulated by
low-frequency noise, scaled so its peak surface excess is exactly the drawn ``excess_c`` and
faded to zero at the breast outline, so every lesion pixel lies inside its breast.

Each lesion's style comes from a second random stream (:func:`restyle`), so the paper's stages
keep their draws: a profile from peaked to flat and diffuse, and a site that may sit near the
inframammary fold or the areola.

Stages follow the paper: *initial* one small focal spot; *middle* a larger region (one or two
blobs) in one breast; *advanced* larger lesions in both breasts. Sizes are in "lepton pixels"
(scaled by ``W / 160``), so a subject looks alike at 160×120 and 640×480.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import BreastGeometry

__all__ = ["LesionSpec", "draw_lesions", "render_lesion", "restyle"]

F32 = npt.NDArray[np.float32]

# (count range, radius range in lepton px, peak excess range in °C) per stage.
_STAGES: dict[str, tuple[tuple[int, int], tuple[float, float], tuple[float, float]]] = {
    "initial": ((1, 1), (2.5, 4.0), (0.8, 2.0)),
    "middle": ((1, 2), (5.0, 7.5), (1.2, 2.5)),
    "advanced": ((2, 3), (5.5, 9.0), (1.8, 3.0)),
}


@dataclass(frozen=True)
class LesionSpec:
    """One lesion in resolution-independent units."""

    breast: int  # 0: image left (patient's right), 1: image right (patient's left)
    r0: float  # centre's normalised elliptical radius inside the breast
    angle: float
    radius: float  # lepton px
    excess_c: float
    blobs: npt.NDArray[np.float64]  # rows: du, dv (in radii), sx, sy (in radii), theta, weight
    modulation: npt.NDArray[np.float64]  # (5, 5) in [-1, 1]
    profile: float = 1.0  # exponent on the normalised field: < 1 flatter and more diffuse


def draw_lesions(rng: np.random.Generator, stage: str) -> list[LesionSpec]:
    """The lesions of a subject at ``stage`` (none for ``normal``)."""
    if stage == "normal":
        return []
    (n_lo, n_hi), (rad_lo, rad_hi), (ex_lo, ex_hi) = _STAGES[stage]
    count = int(rng.integers(n_lo, n_hi + 1))
    first = int(rng.integers(0, 2))
    if stage == "advanced":
        sides = [first, 1 - first] + [int(rng.integers(0, 2)) for _ in range(count - 2)]
    else:
        sides = [first] * count
    specs = []
    for side in sides:
        k = int(rng.integers(3, 6))
        blobs = np.column_stack(
            [
                rng.uniform(-0.6, 0.6, (k, 2)),
                rng.uniform(0.3, 0.65, (k, 2)),
                rng.uniform(0.0, math.pi, k),
                rng.uniform(0.5, 1.0, k),
            ]
        )
        specs.append(
            LesionSpec(
                breast=side,
                r0=float(math.sqrt(rng.uniform(0.0, 1.0)) * 0.5),
                angle=float(rng.uniform(0.0, 2.0 * math.pi)),
                radius=float(rng.uniform(rad_lo, rad_hi)),
                excess_c=float(rng.uniform(ex_lo, ex_hi)),
                blobs=blobs,
                modulation=rng.uniform(-1.0, 1.0, (5, 5)),
            )
        )
    return specs


def restyle(spec: LesionSpec, rng: np.random.Generator) -> LesionSpec:
    """The lesion with a drawn profile and, for some, a site near the fold or the areola."""
    profile = float(rng.uniform(0.6, 1.0))
    site = float(rng.uniform())
    r0, angle = spec.r0, spec.angle
    if site < 0.2:  # near the inframammary fold: low in the breast
        r0, angle = float(rng.uniform(0.5, 0.62)), float(rng.uniform(0.3, math.pi - 0.3))
    elif site < 0.35:  # at the areola
        r0 = float(rng.uniform(0.0, 0.2))
    return replace(spec, profile=profile, r0=r0, angle=angle)


def lesion_center(spec: LesionSpec, b: BreastGeometry) -> tuple[float, float]:
    """The lesion centre (y, x) in pixels."""
    u = spec.r0 * b.rx * math.cos(spec.angle)
    v_unit = math.sin(spec.angle)
    v = spec.r0 * v_unit * (b.ry_low if v_unit > 0 else b.ry_up)
    c, s = math.cos(b.tilt), math.sin(b.tilt)
    return b.cy - u * s + v * c, b.cx + u * c + v * s


def render_lesion(
    spec: LesionSpec,
    b: BreastGeometry,
    breast_r: F32,
    h: int,
    w: int,
    scale: float | None = None,
) -> tuple[F32, float, float, tuple[float, float]]:
    """The lesion's excess field (°C, full image), its radius in px, its peak and its centre.

    ``scale``: pixels per "lepton pixel" of lesion size (default ``W / 160``). The field is zero
    at and outside the breast outline (``breast_r >= 1``).
    """
    s = w / 160.0 if scale is None else scale
    # Keep the lesion well inside the breast whatever the breast's size.
    radius = min(spec.radius * s, 0.42 * min(b.rx, b.ry_low))
    cy, cx = lesion_center(spec, b)
    half = math.ceil(3.0 * radius) + 1
    y0, y1 = max(0, math.floor(cy) - half), min(h, math.floor(cy) + half + 1)
    x0, x1 = max(0, math.floor(cx) - half), min(w, math.floor(cx) + half + 1)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    box = np.zeros(yy.shape, np.float32)
    for du, dv, sx, sy, theta, weight in spec.blobs:
        dy, dx = yy - np.float32(cy + dv * radius), xx - np.float32(cx + du * radius)
        c, sn = math.cos(theta), math.sin(theta)
        p = (dx * np.float32(c) + dy * np.float32(sn)) / np.float32(sx * radius)
        q = (-dx * np.float32(sn) + dy * np.float32(c)) / np.float32(sy * radius)
        box += np.float32(weight) * np.exp(-0.5 * (p * p + q * q))
    mod = cv2.resize(
        spec.modulation.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC
    )
    box *= np.clip(1.0 + 0.6 * mod, 0.1, None)
    box *= np.clip((1.0 - breast_r[y0:y1, x0:x1]) / 0.1, 0.0, 1.0)
    top = float(box.max())
    field = np.zeros((h, w), np.float32)
    if top > 0:
        shaped = (box / np.float32(top)) ** np.float32(spec.profile)
        field[y0:y1, x0:x1] = shaped * np.float32(spec.excess_c)
    return field, radius, float(field.max()), (cy, cx)
