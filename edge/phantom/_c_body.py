"""Family "c" body: a union of smooth implicit shapes in centimetres (helper of :mod:`.family_c`).

The subject stands in a body frame measured in cm: ``x`` to the image right, ``y`` down from the
sternal notch. The trunk is a rounded trapezoid, the neck and the sloping shoulders are
capsules, each arm is a capsule (raised past the head, or hanging beside the trunk), and each
breast is a tapered capsule (a small upper circle and a larger, lower one: ptosis drops the
lower circle, the axis leans outward). Parts are joined by smooth minima; the fillets of those
joins (axillae, neck base) are kept as crease maps for the thermal model. A view (frame width in
cm, the body point at the frame centre, roll) maps pixels to the body frame.

Convention: ``breasts[0]`` is on the image's left (the patient's right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge.phantom._c_sdf import capsule, crease, smin, trapezoid, uneven_capsule

__all__ = ["BodyC", "BreastC", "ShapeC", "ViewC", "draw_body", "draw_view", "shape", "to_pixel"]

F32 = npt.NDArray[np.float32]
_SHOULDER_Y, _WAIST_Y = 2.0, 60.0


@dataclass(frozen=True)
class BreastC:
    """Upper circle centre (x, y) cm and radius, lower circle radius, axis length and angle."""

    x: float
    y: float
    r_upper: float
    r_lower: float
    length: float
    angle: float  # axis from straight down, radians, positive = toward the image right
    nipple: tuple[float, float]  # (x, y) cm
    areola_r: float

    def centre(self) -> tuple[float, float]:
        """The lower circle's centre: the breast's deepest point."""
        return (
            self.x + self.length * math.sin(self.angle),
            self.y + self.length * math.cos(self.angle),
        )


@dataclass(frozen=True)
class BodyC:
    """One subject's build, pose and breasts."""

    shoulder_hw: float
    chest_hw: float
    waist_hw: float
    neck_r: float
    arm_r: float
    arms_raised: bool
    arm_spread: float  # cm the raised elbow or the hanging hand sits out from the shoulder
    lean: float  # lateral sway, cm per cm down
    yaw: float  # turn about the vertical axis: one side foreshortened (fraction)
    breasts: tuple[BreastC, BreastC]

    @property
    def fold_y(self) -> float:
        """The lower of the two inframammary folds, cm."""
        return max(b.centre()[1] + b.r_lower for b in self.breasts)


@dataclass(frozen=True)
class ViewC:
    """Frame width (cm), body point at the frame centre (x, y cm), roll (radians)."""

    width_cm: float
    cx: float
    cy: float
    roll: float


@dataclass(frozen=True)
class ShapeC:
    """Per-pixel body coordinates and distances (cm) of one frame."""

    x: F32
    y: F32
    cm_per_px: float
    body: F32  # distance to the whole silhouette
    arm: F32
    neck: F32
    breast: tuple[F32, F32]
    axilla: F32  # 0..1 crease between trunk and arms
    neck_base: F32  # 0..1 crease between trunk and neck / shoulders
    midline: F32  # lateral offset from the swaying midline, cm


def _breast(
    rng: np.random.Generator, side: float, chest_hw: float, size: float, ptosis: float
) -> BreastC:
    scale = 1.0 + float(rng.normal(0.0, 0.07))  # asymmetry
    r_lower = size * scale
    r_upper = r_lower * float(rng.uniform(0.6, 0.85))
    length = r_lower * float(rng.uniform(0.3, 0.6)) + 2.5 * ptosis
    length = max(length, 1.2 * (r_lower - r_upper) + 0.3)  # a tapered capsule needs it
    angle = side * float(rng.uniform(0.05, 0.35))
    x = side * float(rng.uniform(7.5, 10.0) + 0.25 * size)
    y = float(rng.uniform(9.0, 12.5)) + float(rng.normal(0.0, 0.5))
    lower_x = x + length * math.sin(angle)
    if abs(lower_x) + r_lower > chest_hw - 0.5:  # keep the breast on the chest
        x -= side * (abs(lower_x) + r_lower - chest_hw + 0.5)
    if abs(x + length * math.sin(angle)) - r_lower < 1.0:  # and the cleft open
        x += side * (1.0 - abs(x + length * math.sin(angle)) + r_lower)
    cx, cy = x + length * math.sin(angle), y + length * math.cos(angle)
    nip = (
        cx + side * r_lower * float(rng.uniform(0.0, 0.25)),
        cy + r_lower * float(rng.uniform(-0.1, 0.35)),
    )
    return BreastC(x, y, r_upper, r_lower, length, angle, nip, float(rng.uniform(1.4, 2.6)))


def draw_body(rng: np.random.Generator) -> BodyC:
    """Build, pose, breast size, ptosis and asymmetry of one subject."""
    chest_hw = float(rng.uniform(14.0, 18.0))
    size = float(rng.uniform(4.0, 7.8))
    ptosis = float(rng.beta(2.0, 2.5))
    right = _breast(rng, -1.0, chest_hw, size, ptosis)
    left = _breast(rng, 1.0, chest_hw, size, ptosis)
    raised = bool(rng.random() < 0.7)
    return BodyC(
        shoulder_hw=chest_hw + float(rng.uniform(2.0, 5.0)),
        chest_hw=chest_hw,
        waist_hw=chest_hw * float(rng.uniform(0.78, 0.95)),
        neck_r=float(rng.uniform(5.0, 6.5)),
        arm_r=float(rng.uniform(4.5, 6.2)),
        arms_raised=raised,
        arm_spread=float(rng.uniform(5.0, 16.0)) if raised else float(rng.uniform(0.0, 6.0)),
        lean=float(rng.normal(0.0, 0.03)),
        yaw=float(rng.normal(0.0, 0.03)),
        breasts=(right, left),
    )


def draw_view(rng: np.random.Generator, view: str, body: BodyC) -> ViewC:
    """``wide``: chin to upper abdomen, DMR-IR style; ``closeup``: the breasts fill the frame."""
    if view == "wide":
        width = float(rng.uniform(48.0, 58.0))
        top = float(rng.uniform(-16.0, -9.0))
        cy = top + 0.375 * width
    else:
        width = float(rng.uniform(33.0, 42.0)) * (body.chest_hw / 16.0)
        cy = 0.5 * (body.breasts[0].centre()[1] + body.breasts[1].centre()[1])
        cy += float(rng.uniform(-3.0, 2.0))
    return ViewC(
        width_cm=width,
        cx=float(rng.normal(0.0, 0.035 * width)),
        cy=cy + float(rng.normal(0.0, 1.0)),
        roll=math.radians(float(rng.normal(0.0, 2.5))),
    )


def to_pixel(view: ViewC, x: float, y: float, h: int, w: int) -> tuple[float, float]:
    """(row, column) of the body point (x, y) cm."""
    s = view.width_cm / w
    c, sn = math.cos(view.roll), math.sin(view.roll)
    dx, dy = (x - view.cx) / s, (y - view.cy) / s
    return -sn * dx + c * dy + (h - 1) / 2.0, c * dx + sn * dy + (w - 1) / 2.0


def _pixels(view: ViewC, h: int, w: int) -> tuple[F32, F32, float]:
    s = view.width_cm / w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - (w - 1) / 2.0, yy - (h - 1) / 2.0
    c, sn = math.cos(view.roll), math.sin(view.roll)
    x = view.cx + s * (c * dx - sn * dy)
    y = view.cy + s * (sn * dx + c * dy)
    return x.astype(np.float32), y.astype(np.float32), s


def breast_distance(b: BreastC, x: F32, y: F32) -> F32:
    """Signed distance (cm) to one breast's outline."""
    c, s = math.cos(b.angle), math.sin(b.angle)
    dx, dy = x - b.x, y - b.y
    along = dx * s + dy * c
    across = dx * c - dy * s
    return uneven_capsule(across, along, b.r_upper, b.r_lower, b.length)


def shape(body: BodyC, view: ViewC, h: int, w: int) -> ShapeC:
    """Distances of every pixel to the body, its parts and the breasts."""
    x, y, s = _pixels(view, h, w)
    mid = body.lean * (y - 20.0)
    u = x - mid
    u = (u * (1.0 + body.yaw * np.tanh(u / 8.0))).astype(np.float32)  # near side looks wider
    half = 0.5 * (_WAIST_Y - _SHOULDER_Y)
    trunk = trapezoid(u, y - (_SHOULDER_Y + half), body.chest_hw + 0.5, body.waist_hw, half)
    trunk = (trunk - 2.5).astype(np.float32)  # rounded corners
    neck = capsule(u, y, (0.0, -30.0), (0.0, 2.0), body.neck_r)
    arm = np.full(x.shape, 1e3, np.float32)
    shoulders = np.full(x.shape, 1e3, np.float32)
    for side in (-1.0, 1.0):
        joint = (side * (body.shoulder_hw - body.arm_r * 0.7), 3.5)
        shoulders = np.minimum(
            shoulders, capsule(u, y, (side * body.neck_r, -0.5), joint, body.arm_r * 0.85)
        )
        if body.arms_raised:
            end = (side * (body.shoulder_hw + body.arm_spread), -28.0)
            arm = np.minimum(arm, capsule(u, y, joint, end, body.arm_r))
        else:  # hanging beside the chest wall, not over the breasts
            top = (side * (body.chest_hw + body.arm_r * 0.8), 6.0)
            end = (side * (body.chest_hw + body.arm_r * 0.9 + body.arm_spread), 62.0)
            arm = np.minimum(arm, capsule(u, y, top, end, body.arm_r))
            arm = np.minimum(arm, capsule(u, y, joint, top, body.arm_r))
    torso = smin(trunk, shoulders, 5.0)
    neck_base = crease(torso, neck, 4.0)
    torso = smin(torso, neck, 4.0)
    axilla = crease(torso, arm, 4.5)
    breasts = tuple(breast_distance(b, u, y) for b in body.breasts)
    whole = smin(smin(torso, arm, 4.5), np.minimum(breasts[0], breasts[1]), 2.0)
    return ShapeC(
        x=x,
        y=y,
        cm_per_px=s,
        body=whole,
        arm=arm,
        neck=neck,
        breast=(breasts[0], breasts[1]),
        axilla=axilla,
        neck_base=neck_base,
        midline=u,
    )
