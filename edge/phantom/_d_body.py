"""Family "d" anatomy: a scanline body and ellipsoid breasts (helper of :mod:`.family_d`).

The subject stands in a body frame in cm: ``x`` to the image right, ``y`` down from the sternal
notch. The trunk is described row by row: a Catmull-Rom spline through contour knots (neck,
trapezius, acromion, deltoid, chest, waist, hip) gives its half-width at every height and a
bent midline its centre, so each row is one span. Each arm is a tapered straight ribbon from its
shoulder at its own angle (raised above the head, or hanging). Each breast is a deformed
ellipsoid standing on the chest: a horizontal semi-axis, a short upper and a longer (ptotic)
lower semi-axis, a depth and a tilt; its upper half is a paraboloid (it merges with the chest),
its lower half an ellipsoid (it folds under). The slope of the trunk (an elliptic cross-section
per row), the arms (cylinders) and the breasts gives each pixel its viewing angle.

Convention: ``breasts[0]`` is on the image's left (the patient's right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["BodyD", "BreastD", "GeomD", "ViewD", "draw_body", "draw_view", "geometry", "to_pixel"]

F32 = npt.NDArray[np.float32]
_TABLE_Y = np.arange(-45.0, 90.0, 0.25)  # rows of the contour table, cm
_JOINT_Y = 3.5  # shoulder joint height, cm


@dataclass(frozen=True)
class BreastD:
    """Ellipsoid centre (cm), semi-axes (cm), tilt (radians), nipple (normalised), areola (cm)."""

    cx: float
    cy: float
    half_w: float
    up: float
    low: float
    depth: float
    tilt: float  # positive turns the lower pole toward the image right
    nipple: tuple[float, float]  # (p, q) in the breast's normalised coordinates
    areola_r: float

    def point(self, p: float, q: float) -> tuple[float, float]:
        """Body point (x, y cm) of the normalised breast coordinates (p, q)."""
        u = p * self.half_w
        v = q * (self.up if q < 0 else self.low)
        c, s = math.cos(self.tilt), math.sin(self.tilt)
        return self.cx + u * c - v * s, self.cy + u * s + v * c


@dataclass(frozen=True)
class BodyD:
    """One subject's contour, pose and breasts."""

    knots: tuple[tuple[float, float], ...]  # (y cm, trunk half-width cm)
    sway: float  # midline drift, cm per cm down
    bow: float  # midline bend, cm at the waist
    depth: float  # trunk semi-depth front to back, cm
    arms_raised: bool
    arm_angle: tuple[float, float]  # per side, radians from straight down, outward positive
    arm_hw: float
    breasts: tuple[BreastD, BreastD]

    @property
    def fold_y(self) -> float:
        """The lower of the two inframammary folds, cm."""
        return max(b.cy + b.low for b in self.breasts)


@dataclass(frozen=True)
class ViewD:
    """Frame width (cm), body point at the frame centre (x, y cm), roll (radians)."""

    width_cm: float
    cx: float
    cy: float
    roll: float


@dataclass(frozen=True)
class GeomD:
    """Per-pixel body coordinates, outlines (cm inside, negative outside) and surface slope."""

    x: F32
    y: F32
    cm_per_px: float
    mid: F32  # x from the midline at the pixel's row
    half_w: F32  # trunk half-width at the pixel's row
    trunk_in: F32
    arm_in: F32
    body_in: F32
    cos_view: F32  # cosine of the angle between the surface normal and the camera
    p: tuple[F32, F32]  # each breast's normalised coordinates
    q: tuple[F32, F32]
    rho: tuple[F32, F32]  # normalised ellipsoid radius: < 1 on the breast


def _catmull_rom(knots: tuple[tuple[float, float], ...], ys: npt.NDArray[np.float64]) -> F32:
    """Uniform Catmull-Rom spline through ``knots`` sampled at ``ys`` (clamped)."""
    ky = np.array([k[0] for k in knots])
    kv = np.array([k[1] for k in knots])
    pad_v = np.concatenate([[kv[0]], kv, [kv[-1]]])
    seg = np.clip(np.searchsorted(ky, ys) - 1, 0, len(ky) - 2)
    t = np.clip((ys - ky[seg]) / (ky[seg + 1] - ky[seg]), 0.0, 1.0)
    p0, p1, p2, p3 = pad_v[seg], pad_v[seg + 1], pad_v[seg + 2], pad_v[seg + 3]
    out = 0.5 * (
        2 * p1
        + (p2 - p0) * t
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
        + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )
    return np.maximum(out, 1.0).astype(np.float32)


def _breast(rng: np.random.Generator, side: float, chest_hw: float, size: float) -> BreastD:
    scale = 1.0 + float(rng.normal(0.0, 0.06))
    half_w = size * scale
    ptosis = float(rng.beta(2.0, 2.2))
    up = half_w * float(rng.uniform(0.75, 1.0))
    low = half_w * float(rng.uniform(0.85, 1.0)) + 2.0 * ptosis
    cx = side * float(rng.uniform(0.40, 0.55) * chest_hw + 0.3 * size)
    cx = side * min(abs(cx), chest_hw - 0.6 * half_w)  # on the chest
    cx = side * max(abs(cx), half_w + 0.8)  # the cleft stays open
    return BreastD(
        cx=cx,
        cy=float(rng.uniform(10.0, 13.5)) + 1.2 * ptosis,
        half_w=half_w,
        up=up,
        low=low,
        depth=half_w * float(rng.uniform(0.5, 0.95)),
        tilt=side * float(rng.uniform(0.0, 0.3)),
        nipple=(side * float(rng.uniform(0.0, 0.25)), float(rng.uniform(0.0, 0.35))),
        areola_r=float(rng.uniform(1.3, 2.5)),
    )


def draw_body(rng: np.random.Generator) -> BodyD:
    """Contour, pose and breasts of one subject."""
    chest = float(rng.uniform(13.5, 18.0))
    neck = float(rng.uniform(5.0, 6.5))
    shoulder = chest + float(rng.uniform(2.5, 5.5))
    waist = chest * float(rng.uniform(0.78, 0.95))
    knots = (
        (-40.0, neck * 0.95),
        (-6.0, neck),
        (-1.5, neck + float(rng.uniform(1.5, 3.5))),
        (2.5, shoulder),
        (7.0, shoulder - float(rng.uniform(0.5, 2.0))),
        (12.0, chest + 0.5),
        (22.0, chest),
        (36.0, waist),
        (60.0, waist * float(rng.uniform(1.05, 1.2))),
        (85.0, waist * 1.2),
    )
    size = float(rng.uniform(5.0, 8.5))
    raised = bool(rng.random() < 0.7)
    base = float(rng.uniform(2.25, 2.75)) if raised else float(rng.uniform(0.05, 0.25))
    return BodyD(
        knots=knots,
        sway=float(rng.normal(0.0, 0.025)),
        bow=float(rng.normal(0.0, 0.8)),
        depth=float(rng.uniform(9.0, 13.0)),
        arms_raised=raised,
        arm_angle=(base + float(rng.normal(0, 0.06)), base + float(rng.normal(0, 0.06))),
        arm_hw=float(rng.uniform(4.3, 6.0)),
        breasts=(_breast(rng, -1.0, chest, size), _breast(rng, 1.0, chest, size)),
    )


def draw_view(rng: np.random.Generator, view: str, body: BodyD) -> ViewD:
    """``wide``: chin to upper abdomen, DMR-IR style; ``closeup``: the breasts fill the frame."""
    chest = body.knots[6][1]
    if view == "wide":
        width = float(rng.uniform(2.6, 3.1)) * chest
        cy = float(rng.uniform(-13.0, -7.0)) + 0.375 * width
    else:  # both breasts across the frame, a little cut off or with a margin
        extent = max(abs(b.cx) + b.half_w for b in body.breasts)
        width = 2.0 * extent * float(rng.uniform(0.9, 1.1))
        cy = 0.5 * (body.breasts[0].cy + body.breasts[1].cy) + float(rng.uniform(-2.5, 2.0))
    return ViewD(
        width_cm=width,
        cx=float(rng.normal(0.0, 0.03 * width)),
        cy=cy + float(rng.normal(0.0, 0.8)),
        roll=math.radians(float(rng.normal(0.0, 2.5))),
    )


def to_pixel(view: ViewD, x: float, y: float, h: int, w: int) -> tuple[float, float]:
    """(row, column) of the body point (x, y) cm."""
    s = view.width_cm / w
    c, sn = math.cos(view.roll), math.sin(view.roll)
    dx, dy = x - view.cx, y - view.cy
    return (-sn * dx + c * dy) / s + (h - 1) / 2.0, (c * dx + sn * dy) / s + (w - 1) / 2.0


def _arm(body: BodyD, side: int, hw_joint: float, x: F32, y: F32, mid0: float) -> F32:
    """cm inside one arm ribbon (negative outside); its end, 1 cm past the shoulder joint, is
    squared off with rounded corners, so a raised arm leaves the axilla below it on the trunk."""
    sign = -1.0 if side == 0 else 1.0
    # A raised arm leaves from the shoulder top; a hanging one beside the chest wall.
    inset = 0.6 if body.arms_raised else -0.15
    jx = mid0 + sign * (hw_joint - inset * body.arm_hw)
    phi = body.arm_angle[side]
    dx, dy = sign * math.sin(phi), math.cos(phi)
    rx, ry = x - jx, y - _JOINT_Y
    t = rx * dx + ry * dy
    s = np.abs(rx * dy - ry * dx)
    width = body.arm_hw * (1.0 - 0.25 * np.clip(t / 60.0, 0.0, 1.0))
    corner = 2.0
    a = s - (width - corner)
    b = corner - (t + 1.0)
    outside = np.hypot(np.maximum(a, 0.0), np.maximum(b, 0.0)) + np.minimum(np.maximum(a, b), 0.0)
    return (corner - outside).astype(np.float32)


def _breast_fields(b: BreastD, x: F32, y: F32) -> tuple[F32, F32, F32, F32, F32]:
    """(p, q, rho, slope x, slope y) of one breast at every pixel."""
    c, s = math.cos(b.tilt), math.sin(b.tilt)
    dx, dy = x - b.cx, y - b.cy
    u = dx * c + dy * s
    v = -dx * s + dy * c
    semi = np.where(v < 0.0, b.up, b.low).astype(np.float32)
    p = u / np.float32(b.half_w)
    q = v / semi
    r2 = p * p + q * q
    inside = r2 < 1.0
    root = np.sqrt(np.clip(1.0 - r2, 0.0025, 1.0))
    # Slope per unit (p, q): a paraboloid above (it merges with the chest), an ellipsoid below
    # (it folds under), blended across the equator so the surface has no seam.
    under = np.clip((q + 0.3) / 0.6, 0.0, 1.0)
    under = under * under * (3.0 - 2.0 * under)
    k = ((1.0 - under) * 2.0 + under / root) * inside
    gu = -b.depth * k * p / b.half_w
    gv = -b.depth * k * q / semi
    gx = gu * c - gv * s
    gy = gu * s + gv * c
    fields = (p, q, np.sqrt(r2), gx, gy)
    return tuple(a.astype(np.float32) for a in fields)  # type: ignore[return-value]


def _smooth_max(a: F32, b: F32, k: float) -> F32:
    """Polynomial smooth maximum: the arm's root blends into the shoulder (radius ``k`` cm)."""
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return (np.maximum(a, b) + h * h * (k / 4.0)).astype(np.float32)


def geometry(body: BodyD, view: ViewD, h: int, w: int) -> GeomD:
    """Body coordinates, outlines and surface slope of every pixel of one frame."""
    s = view.width_cm / w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - (w - 1) / 2.0, yy - (h - 1) / 2.0
    c, sn = math.cos(view.roll), math.sin(view.roll)
    x = (view.cx + s * (c * dx - sn * dy)).astype(np.float32)
    y = (view.cy + s * (sn * dx + c * dy)).astype(np.float32)
    table = _catmull_rom(body.knots, _TABLE_Y)
    half_w = np.interp(y, _TABLE_Y, table).astype(np.float32)
    midline = body.sway * (y - 20.0) + body.bow * ((y - 20.0) / 30.0) ** 2
    mid = (x - midline).astype(np.float32)
    trunk_in = (half_w - np.abs(mid)).astype(np.float32)
    trunk_in = np.where(y < -40.0, -1.0, trunk_in).astype(np.float32)
    hw_joint = float(np.interp(_JOINT_Y, _TABLE_Y, table))
    mid0 = body.sway * (_JOINT_Y - 20.0) + body.bow * ((_JOINT_Y - 20.0) / 30.0) ** 2
    arm_in = np.maximum(
        _arm(body, 0, hw_joint, x, y, mid0), _arm(body, 1, hw_joint, x, y, mid0)
    ).astype(np.float32)
    # Trunk slope: an elliptic cross-section of semi-axes (half-width, depth) per row.
    ut = np.clip(mid / half_w, -0.995, 0.995)
    gx = body.depth * ut / (half_w * np.sqrt(1.0 - ut * ut))
    gy = np.zeros_like(gx)
    ps, qs, rhos = [], [], []
    for b in body.breasts:
        p, q, rho, bx, by = _breast_fields(b, x, y)
        ps.append(p)
        qs.append(q)
        rhos.append(rho)
        gx, gy = gx + bx, gy + by
    cos_trunk = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
    # An arm is a cylinder seen side-on: its slope grows toward its edges.
    ua = np.clip(1.0 - np.maximum(arm_in, 0.0) / body.arm_hw, 0.0, 0.995)
    cos_arm = np.sqrt(1.0 - ua * ua)
    cos_view = np.where(arm_in > 0.0, cos_arm, cos_trunk).astype(np.float32)
    return GeomD(
        x=x,
        y=y,
        cm_per_px=s,
        mid=mid,
        half_w=half_w,
        trunk_in=trunk_in,
        arm_in=arm_in,
        body_in=_smooth_max(trunk_in, arm_in, 3.0),
        cos_view=cos_view,
        p=(ps[0], ps[1]),
        q=(qs[0], qs[1]),
        rho=(rhos[0], rhos[1]),
    )
