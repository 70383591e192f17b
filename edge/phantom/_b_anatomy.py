"""Family "b" body geometry in body units, seen through a camera (helper of :mod:`edge.phantom.family_b`).

Unlike family "a" (shapes drawn in image fractions), family "b" places the subject in a body
coordinate system and projects it through a camera. Body units: the chest half-width is about
1; ``u`` runs to the image right, ``v`` runs down from the sternal notch (v = 0). The camera
(scale, rotation, off-centre) maps image pixels to body points, so the same subject can be
framed as a Lepton close-up or a 640×480 clinical view.

The surface is a height field (torso cylinder, neck, arms, breast bulges); the apparent skin
temperature darkens where the surface turns away from the camera (see :mod:`._b_thermal`).

Convention: ``breasts[0]`` is on the image's left (the patient's right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "BodyB",
    "BreastB",
    "CameraB",
    "GeometryB",
    "body_coords",
    "breast_point",
    "draw_body",
    "draw_camera",
    "render_geometry",
]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BreastB:
    """One breast: centre (u, v), half-axes (lateral, upper, lower), superellipse power, tilt."""

    cu: float
    cv: float
    rx: float
    ry_up: float
    ry_low: float
    power: float
    tilt: float
    projection: float
    nipple_du: float
    nipple_dv: float
    areola_r: float
    areola_dt: float
    nipple_dt: float


@dataclass(frozen=True)
class BodyB:
    """Body shape: half-widths at the chest and the waist, lean, arms, and the two breasts."""

    hw_chest: float
    hw_waist: float
    hw_shoulder: float
    neck_hw: float
    lean: float
    arms_raised: bool
    arm_r: float
    breasts: tuple[BreastB, BreastB]


@dataclass(frozen=True)
class CameraB:
    """Frame width in body units, the body point at the frame centre, roll (radians)."""

    view: str
    span_u: float
    u0: float
    v0: float
    roll: float


@dataclass(frozen=True)
class GeometryB:
    """Per-pixel body coordinates and shape fields of one frame."""

    uu: F32
    vv: F32
    ppu: float  # image pixels per body unit
    alpha: F32  # skin coverage 0..1
    height: F32  # surface height, body units
    slope: F32  # |grad height| per body unit
    rho: tuple[F32, F32]  # normalised breast radius (< 1 inside)
    below: tuple[F32, F32]  # 0..1, how far below the breast centre a point lies (angular)
    midline_du: F32  # lateral offset from the (leaning) midline
    arm: F32  # 0..1 where an arm is the visible surface


def _hw(body: BodyB, v: F32) -> F32:
    """Torso half-width: shoulders → chest → waist."""
    t = np.clip((v - 0.4) / 1.8, 0.0, 1.0)
    chest = body.hw_chest + (body.hw_waist - body.hw_chest) * t * t * (3 - 2 * t)
    s = np.clip(v / 0.4, 0.0, 1.0)
    return (body.hw_shoulder + (body.hw_chest - body.hw_shoulder) * s).astype(np.float32) * (
        v < 0.4
    ) + chest.astype(np.float32) * (v >= 0.4)


def draw_body(rng: np.random.Generator) -> BodyB:
    """A random subject shape: size, ptosis, asymmetry, lean and arm pose."""
    hw_chest = float(rng.uniform(0.95, 1.05))
    size = float(rng.uniform(0.22, 0.40))
    ptosis = float(rng.beta(2.0, 3.0))
    base_u = float(rng.uniform(0.44, 0.56))
    base_v = float(rng.uniform(0.95, 1.1)) + 0.3 * ptosis * size / 0.3
    breasts = []
    for side in (-1.0, 1.0):
        scale = 1.0 + float(rng.normal(0.0, 0.06))
        rx = size * scale
        cu = side * min(base_u + float(rng.normal(0.0, 0.025)), hw_chest - 1.05 * rx - 0.04)
        breasts.append(
            BreastB(
                cu=cu,
                cv=base_v + float(rng.normal(0.0, 0.03)),
                rx=rx,
                ry_up=rx * float(rng.uniform(0.8, 1.05)),
                ry_low=rx * (0.85 + 0.4 * ptosis) * float(rng.uniform(0.95, 1.05)),
                power=float(rng.uniform(1.8, 2.5)),
                tilt=side * float(rng.uniform(-0.05, 0.25)),
                projection=rx * float(rng.uniform(0.6, 1.1)),
                nipple_du=side * rx * float(rng.uniform(0.0, 0.2)),
                nipple_dv=rx * float(rng.uniform(0.0, 0.35)) * (0.5 + ptosis),
                areola_r=rx * float(rng.uniform(0.18, 0.33)),
                areola_dt=float(rng.uniform(-0.9, 0.7)),
                nipple_dt=float(rng.uniform(-1.0, 0.9)),
            )
        )
    return BodyB(
        hw_chest=hw_chest,
        hw_waist=hw_chest * float(rng.uniform(0.8, 0.92)),
        hw_shoulder=hw_chest * float(rng.uniform(1.05, 1.15)),
        neck_hw=float(rng.uniform(0.25, 0.32)),
        lean=float(rng.normal(0.0, 0.04)),
        arms_raised=bool(rng.random() < 0.75),
        arm_r=float(rng.uniform(0.2, 0.28)),
        breasts=(breasts[0], breasts[1]),
    )


def draw_camera(rng: np.random.Generator, view: str, body: BodyB) -> CameraB:
    """A framing: ``wide`` = neck to upper abdomen; ``closeup`` = the breasts filling the frame."""
    cv_mean = 0.5 * (body.breasts[0].cv + body.breasts[1].cv)
    if view == "wide":
        span = float(rng.uniform(2.4, 3.05))
        v0 = float(rng.uniform(0.72, 0.92))
    else:
        span = float(rng.uniform(1.6, 2.2))
        v0 = cv_mean + float(rng.uniform(-0.2, 0.12))
    return CameraB(
        view=view,
        span_u=span,
        u0=float(rng.normal(0.0, 0.025 * span)),
        v0=v0 + float(rng.normal(0.0, 0.04)),
        roll=math.radians(float(rng.normal(0.0, 3.0))),
    )


def _breast_local(b: BreastB, uu: F32, vv: F32) -> tuple[F32, F32, F32]:
    """Normalised radius, and the normalised lateral/vertical offsets, in the breast frame."""
    c, s = math.cos(b.tilt), math.sin(b.tilt)
    du, dv = uu - b.cu, vv - b.cv
    x = c * du + s * dv
    y = -s * du + c * dv
    ry = np.where(y > 0, b.ry_low, b.ry_up).astype(np.float32)
    nx, ny = x / b.rx, y / ry
    rho = (np.abs(nx) ** b.power + np.abs(ny) ** b.power) ** (1.0 / b.power)
    return rho.astype(np.float32), nx.astype(np.float32), ny.astype(np.float32)


def breast_point(b: BreastB, rho: float, theta: float) -> tuple[float, float]:
    """The body point at normalised radius ``rho`` and angle ``theta`` (0 = image right, + = down)."""
    cth, sth = math.cos(theta), math.sin(theta)
    e = 2.0 / b.power
    x = rho * b.rx * math.copysign(abs(cth) ** e, cth)
    y = rho * (b.ry_low if sth > 0 else b.ry_up) * math.copysign(abs(sth) ** e, sth)
    c, s = math.cos(b.tilt), math.sin(b.tilt)
    return b.cu + c * x - s * y, b.cv + s * x + c * y


def body_coords(camera: CameraB, h: int, w: int) -> tuple[F32, F32, float]:
    """Body (u, v) of every pixel centre, and pixels per body unit."""
    ppu = w / camera.span_u
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx -= (w - 1) / 2.0
    yy -= (h - 1) / 2.0
    c, s = math.cos(camera.roll), math.sin(camera.roll)
    uu = (c * xx + s * yy) / ppu + camera.u0
    vv = (-s * xx + c * yy) / ppu + camera.v0
    return uu.astype(np.float32), vv.astype(np.float32), ppu


def _coverage(distance: F32, ppu: float) -> F32:
    """Anti-aliased coverage from a signed distance (body units, > 0 inside)."""
    return np.clip(distance * ppu + 0.5, 0.0, 1.0).astype(np.float32)


def render_geometry(body: BodyB, camera: CameraB, h: int, w: int) -> GeometryB:
    """Coverage, height field, slope and breast coordinates of every pixel."""
    uu, vv, ppu = body_coords(camera, h, w)
    mid = body.lean * (vv - 0.8)
    du = uu - mid
    hw = _hw(body, vv)
    top = 0.02 + 0.22 * np.clip((np.abs(du) - body.neck_hw) / 0.8, 0.0, None) ** 2
    torso_d = np.minimum(hw - np.abs(du), vv - top)
    torso_h = 0.55 * np.sqrt(np.clip(1.0 - (du / hw) ** 2, 0.0, 1.0))
    # Shoulders round off toward their outline; not in the neck column, where the trunk
    # continues into the neck (blended over v so the neck base leaves no crease).
    neck_column = np.clip((body.neck_hw + 0.12 - np.abs(du)) / 0.12, 0.0, 1.0)
    torso_h *= np.maximum(np.sqrt(np.clip((vv - top) / 0.25, 0.0, 1.0)), neck_column)
    neck_d = np.minimum(body.neck_hw - np.abs(du), 0.3 - vv)
    neck_h = 0.35 * np.sqrt(np.clip(1.0 - (du / body.neck_hw) ** 2, 0.0, 1.0))
    blend = np.clip((vv + 0.15) / 0.25, 0.0, 1.0)
    blend = blend * blend * (3 - 2 * blend)
    trunk_h = blend * torso_h + (1.0 - blend) * neck_h
    height = np.where((torso_d > 0) | (neck_d > 0), trunk_h, 0.0)
    rhos, belows = [], []
    for b in body.breasts:
        rho, _nx, ny = _breast_local(b, uu, vv)
        lower = np.clip(ny / np.maximum(rho, 1e-3), 0.0, 1.0)
        # Upper pole merges gently with the chest; the lower pole drops steeply to the fold.
        shape = np.clip(1.0 - rho * rho, 0.0, 1.0)
        bulge = b.projection * shape ** (1.5 - 1.1 * lower)
        height = height + np.where(torso_d > 0, bulge, 0.0)
        rhos.append(rho)
        belows.append(lower.astype(np.float32))
    arm_d = np.full((h, w), -1.0, np.float32)
    arm_h = np.zeros((h, w), np.float32)
    for side in (-1.0, 1.0):
        if body.arms_raised:
            ax, ay = side * (body.hw_shoulder - 0.1), 0.25
            bx, by = side * (body.hw_shoulder + 0.45), -1.9
        else:
            ax, ay = side * (body.hw_shoulder + 0.05), 0.3
            bx, by = side * (body.hw_chest + 0.25), 2.6
        px, py = uu - ax - mid, vv - ay
        dx, dy = bx - ax, by - ay
        t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy), 0.0, 1.0)
        dist = np.hypot(px - t * dx, py - t * dy)
        d = body.arm_r - dist
        arm_d = np.maximum(arm_d, d)
        arm_h = np.maximum(
            arm_h, 0.1 + body.arm_r * np.sqrt(np.clip(1.0 - (dist / body.arm_r) ** 2, 0.0, 1.0))
        )
    arm_visible = (arm_d > 0) & (arm_h > height)
    height = np.where(arm_visible, arm_h, height).astype(np.float32)
    alpha = np.maximum(_coverage(np.maximum(torso_d, neck_d), ppu), _coverage(arm_d, ppu))
    # Slope of a slightly smoothed surface: joins between body parts are creases, not cliffs.
    sigma = max(0.6, 0.02 * ppu)
    gy, gx = np.gradient(cv2.GaussianBlur(height, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE))
    slope = (np.hypot(gx, gy) * ppu).astype(np.float32)
    return GeometryB(
        uu=uu,
        vv=vv,
        ppu=ppu,
        alpha=alpha,
        height=height,
        slope=slope,
        rho=(rhos[0], rhos[1]),
        below=(belows[0], belows[1]),
        midline_du=du.astype(np.float32),
        arm=arm_visible.astype(np.float32),
    )
