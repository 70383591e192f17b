"""Noise-free anatomy of a synthetic frontal breast thermogram (helper of :mod:`edge.phantom.generator`).

Geometry is drawn in resolution-independent units (fractions of the image, and "lepton pixels"
scaled by ``s = W / 160``), so one subject renders alike at 160×120 and 640×480.

Thermal model, in °C: a background of 19–25 °C with a vertical gradient; a torso (tilted
midline) whose skin is ~33 °C plus a per-subject offset of ±1.5 °C, cooling toward the
silhouette (emissivity fall-off at grazing view angles); two breasts whose lower contour cools
the same way, with a warm inframammary fold beneath each; a warm sternum strip; thin warm
vessels; a natural left/right breast offset under 0.35 °C; and a faint smooth skin texture.

Convention: ``breasts[0]`` is on the image's left, which in a frontal view facing the patient
is the patient's **right** breast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "Anatomy",
    "AnatomyRender",
    "BreastGeometry",
    "breast_coords",
    "draw_anatomy",
    "grid",
    "render_anatomy",
]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BreastGeometry:
    """One breast in pixels: centre, semi-axes (upper half is taller) and tilt."""

    cy: float
    cx: float
    rx: float
    ry_low: float
    ry_up: float
    tilt: float  # radians, shared with the midline


@dataclass(frozen=True)
class Anatomy:
    """Resolution-independent parameters of one subject (drawn once per seed and index)."""

    bg_c: float
    bg_grad_c: float
    skin_c: float
    offset_c: float
    mid_x: float  # fraction of W
    breast_y: float  # fraction of H
    tilt_deg: float
    half_width: float  # torso half-width at breast level, fraction of W
    waist: float
    edge_fall_c: float
    chest_grad_c: float
    sternum_c: float
    axilla_c: float
    breast_dx: float  # fraction of W, midline to each breast centre
    breast_rx: float  # fraction of W
    breast_aspect: float
    breast_upper: float
    right_scale: float  # patient's right (image left) breast size factor
    jitter: tuple[float, float, float, float]  # (dy, dx) per breast, fractions of H and W
    breast_base_c: tuple[float, float]
    contour_cool_c: tuple[float, float]
    fold_c: tuple[float, float]
    vessels: tuple[tuple[tuple[float, float, float], npt.NDArray[np.float64]], ...]
    texture: npt.NDArray[np.float64]
    bg_texture: npt.NDArray[np.float64]


def draw_anatomy(rng: np.random.Generator) -> Anatomy:
    """Draw one subject's anatomy; the same generator state gives the same subject."""
    offset = float(rng.uniform(-1.5, 1.5))
    asym = float(rng.uniform(-0.35, 0.35))
    base = float(rng.uniform(-0.3, 0.2))
    cool = rng.uniform(0.8, 1.5, 2)
    fold = rng.uniform(0.5, 1.1, 2)
    half_width = float(rng.uniform(0.31, 0.37))
    breast_dx = float(rng.uniform(0.145, 0.175))
    breast_rx = float(min(rng.uniform(0.115, 0.14), 0.88 * half_width - breast_dx))
    vessels = []
    for side in (0, 1):
        for _ in range(int(rng.integers(2, 5))):
            # Start on the upper rim, head roughly toward the breast centre, wander smoothly.
            start_angle = float(rng.uniform(-math.pi * 0.95, -math.pi * 0.05))
            steps = rng.normal(0.0, 0.35, int(rng.integers(8, 13)))
            vessels.append(((float(side), start_angle, float(rng.uniform(0.2, 0.6))), steps))
    return Anatomy(
        bg_c=float(rng.uniform(19.5, 24.5)),
        bg_grad_c=float(rng.uniform(-0.6, 0.6)),
        skin_c=33.0 + offset,
        offset_c=offset,
        mid_x=float(rng.uniform(0.46, 0.54)),
        breast_y=float(rng.uniform(0.53, 0.61)),
        tilt_deg=float(rng.uniform(-3.0, 3.0)),
        half_width=half_width,
        waist=float(rng.uniform(0.05, 0.15)),
        edge_fall_c=float(rng.uniform(1.0, 2.2)),
        chest_grad_c=float(rng.uniform(0.0, 0.4)),
        sternum_c=float(rng.uniform(0.2, 0.6)),
        axilla_c=float(rng.uniform(0.3, 0.8)),
        breast_dx=breast_dx,
        breast_rx=breast_rx,
        breast_aspect=float(rng.uniform(0.85, 1.0)),
        breast_upper=float(rng.uniform(1.2, 1.45)),
        right_scale=float(rng.uniform(0.95, 1.05)),
        jitter=tuple(float(v) for v in rng.uniform(-0.012, 0.012, 4)),  # type: ignore[arg-type]
        breast_base_c=(base, base + asym),
        contour_cool_c=(float(cool[0]), float(cool[1])),
        fold_c=(float(fold[0]), float(fold[1])),
        vessels=tuple(vessels),
        texture=rng.uniform(-1.0, 1.0, (6, 8)),
        bg_texture=rng.uniform(-1.0, 1.0, (4, 5)),
    )


@cache
def grid(h: int, w: int) -> tuple[F32, F32]:
    """Read-only pixel-centre coordinates (yy, xx), cached per size."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy.setflags(write=False)
    xx.setflags(write=False)
    return yy, xx


def _smooth(values: npt.NDArray[np.float64], h: int, w: int) -> F32:
    resized = cv2.resize(values.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.asarray(resized, dtype=np.float32)


def breast_geometry(a: Anatomy, h: int, w: int) -> tuple[BreastGeometry, BreastGeometry]:
    """The two breasts in pixels: index 0 on the image left (patient's right)."""
    tilt = math.radians(a.tilt_deg)
    cy0, cx0 = a.breast_y * h, a.mid_x * w
    out = []
    for i, sign in enumerate((-1.0, 1.0)):
        scale = a.right_scale if i == 0 else 1.0
        d = a.breast_dx * w
        rx = a.breast_rx * w * scale
        ry = rx * a.breast_aspect
        out.append(
            BreastGeometry(
                cy=cy0 - sign * d * math.sin(tilt) + a.jitter[2 * i] * h,
                cx=cx0 + sign * d * math.cos(tilt) + a.jitter[2 * i + 1] * w,
                rx=rx,
                ry_low=ry,
                ry_up=ry * a.breast_upper,
                tilt=tilt,
            )
        )
    return out[0], out[1]


def breast_coords(b: BreastGeometry, yy: F32, xx: F32) -> tuple[F32, F32]:
    """Normalised elliptical radius ``r`` (1 on the outline) and the downward offset ``v`` (px)."""
    c, s = math.cos(b.tilt), math.sin(b.tilt)
    dx, dy = xx - np.float32(b.cx), yy - np.float32(b.cy)
    u = dx * np.float32(c) - dy * np.float32(s)
    v = dx * np.float32(s) + dy * np.float32(c)
    ry = np.where(v > 0, np.float32(b.ry_low), np.float32(b.ry_up))
    r = np.sqrt((u / np.float32(b.rx)) ** 2 + (v / ry) ** 2)
    return r.astype(np.float32), v.astype(np.float32)


def _vessel_canvas(
    a: Anatomy, breasts: tuple[BreastGeometry, BreastGeometry], h: int, w: int
) -> F32:
    s = w / 160.0
    canvas = np.zeros((h, w), np.float32)
    peak = 0.0
    for (side, start_angle, amp), steps in a.vessels:
        b = breasts[int(side)]
        u, v = 0.8 * math.cos(start_angle), 0.8 * math.sin(start_angle)
        heading = math.atan2(-v, -u) + steps[0]
        points = []
        for turn in steps:
            c, sn = math.cos(b.tilt), math.sin(b.tilt)
            pu, pv = u * b.rx, v * (b.ry_low if v > 0 else b.ry_up)
            points.append((b.cx + pu * c + pv * sn, b.cy - pu * sn + pv * c))
            heading += float(turn)
            u, v = u + 0.11 * math.cos(heading), v + 0.11 * math.sin(heading)
        pts = np.rint(np.array(points) * 16).astype(np.int32).reshape(-1, 1, 2)
        thickness = max(1, round(0.8 * s))
        cv2.polylines(canvas, [pts], False, float(amp), thickness, cv2.LINE_AA, shift=4)
        peak = max(peak, amp)
    canvas = np.asarray(cv2.GaussianBlur(canvas, (0, 0), 0.6 * s), dtype=np.float32)
    top = float(canvas.max())
    return canvas * np.float32(peak / top) if top > 0 else canvas


@dataclass(frozen=True)
class AnatomyRender:
    """Noise-free, lesion-free render of one subject."""

    celsius: F32
    body_alpha: F32  # 1 on skin, 0 on background, in between on the silhouette
    breast: npt.NDArray[np.uint8]  # 0/1, union of both breasts (r < 1)
    radii: tuple[F32, F32]  # each breast's normalised elliptical radius map


def render_anatomy(a: Anatomy, h: int, w: int) -> AnatomyRender:
    """Render the anatomy at (h, w) pixels."""
    yy, xx = grid(h, w)
    tilt = math.radians(a.tilt_deg)
    c, s = np.float32(math.cos(tilt)), np.float32(math.sin(tilt))
    dx, dy = xx - np.float32(a.mid_x * w), yy - np.float32(a.breast_y * h)
    across = dx * c - dy * s  # perpendicular distance from the midline, px
    along = (dx * s + dy * c) / np.float32(h)  # along the body axis, fraction of H
    below = np.clip((along - 0.1) / 0.4, 0.0, 1.0)
    half = np.float32(a.half_width * w) * (
        1.0 + 0.18 * np.clip(-along / 0.6, 0, 1) ** 2 - a.waist * below**2
    )
    edge = np.abs(across) / half
    alpha = np.clip((1.0 - edge) * half / np.float32(0.8 * w / 160.0) + 0.5, 0.0, 1.0)

    body = np.full((h, w), a.skin_c, np.float32)
    body += np.float32(a.chest_grad_c) * np.clip(-along * 2.0, -0.5, 1.0)
    body += 0.15 * _smooth(a.texture, h, w)
    body -= np.float32(a.edge_fall_c) * np.clip((edge - 0.55) / 0.45, 0.0, 1.0) ** 2
    body += (
        np.float32(a.sternum_c)
        * np.exp(-((across / np.float32(0.045 * w)) ** 2))
        * np.exp(-((along / np.float32(0.25)) ** 2))
    )
    breasts = breast_geometry(a, h, w)
    breast_mask = np.zeros((h, w), np.uint8)
    radii = []
    for i, b in enumerate(breasts):
        r, v = breast_coords(b, yy, xx)
        radii.append(r)
        breast_mask |= (r < 1.0).astype(np.uint8)
        vn = v / np.float32(b.ry_low)
        lower = np.clip(vn * 1.6 + 0.2, 0.0, 1.0)
        # Wide fades: the breast's upper edge must not show; its lower contour does.
        fade = np.clip((1.0 - r) / 0.5, 0.0, 1.0)
        body += (
            np.float32(a.breast_base_c[i]) * fade * fade * (3.0 - 2.0 * fade) * (0.4 + 0.6 * lower)
        )
        body -= (
            np.float32(a.contour_cool_c[i])
            * np.clip((r - 0.35) / 0.65, 0.0, 1.0) ** 1.5
            * lower
            * np.clip((1.03 - r) / 0.06, 0.0, 1.0)
        )
        fold = np.exp(-(((r - 1.06) / 0.09) ** 2)) * np.clip(vn * 2.5 - 0.5, 0.0, 1.0)
        body += np.float32(a.fold_c[i]) * fold
        # Axilla: warm where the breast's upper-outer edge meets the torso side.
        ax, ay = np.float32(b.cx + (1 if i else -1) * 1.15 * b.rx), np.float32(b.cy - 0.9 * b.ry_up)
        body += np.float32(a.axilla_c) * np.exp(
            -(((xx - ax) ** 2 + (yy - ay) ** 2) / np.float32(2 * (0.5 * b.rx) ** 2))
        )
    body += _vessel_canvas(a, breasts, h, w)

    bg = np.float32(a.bg_c) + np.float32(a.bg_grad_c) * (yy / np.float32(h) - 0.5)
    bg += 0.2 * _smooth(a.bg_texture, h, w)
    image = bg + (body - bg) * alpha
    return AnatomyRender(
        image.astype(np.float32), alpha.astype(np.float32), breast_mask, (radii[0], radii[1])
    )
