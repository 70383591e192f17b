"""Family "b" temperatures: skin, warm zones, texture, vessels, room (helper of :mod:`.family_b`).

Skin: a chest baseline plus named anatomical warm zones (neck and supraclavicular fossae,
axillae, sternum, intermammary cleft, inframammary folds), breasts and abdomen offset from the
chest, arms cooler, a lower-chest left/right offset, and a view-factor darkening where the
height field turns away from the camera (``1 - n_z``). Texture and vessels are drawn on a
canvas in body units (so they scale with the framing) and sampled through the camera: vessels
are branching random walks, texture is band-limited noise in two octaves plus blotches.

Room: ambient with a gradient, optional warm objects behind the subject and a clothing band
over the abdomen; the camera adds vignetting and a sensor gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._b_anatomy import BodyB, GeometryB

__all__ = ["CANVAS_PPU", "ThermalB", "draw_thermal", "render_scene", "skin_alpha"]

F32 = npt.NDArray[np.float32]

# Canvas for body-space textures: u in [-2.8, 2.8], v in [-2.2, 3.2], CANVAS_PPU px per unit.
_U0, _V0, _U1, _V1 = -2.8, -2.2, 2.8, 3.2
CANVAS_PPU = 150.0


@dataclass(frozen=True)
class ThermalB:
    """Per-subject thermal parameters (°C unless noted)."""

    ambient: float
    room_gradient: tuple[float, float]
    chest: float
    vertical: float  # °C per body unit down the trunk
    neck: float
    upper_chest: float
    supraclavicular: float
    axilla: float
    sternum: float
    cleft: float
    fold: float
    fold_width: float
    breast_offset: tuple[float, float]
    abdomen: float
    arm: float
    lower_chest_lr: float
    view_cooling: float
    texture: float
    vessels: float
    clothing: float | None  # body v where clothing starts, None: bare
    clothing_dt: float
    objects: tuple[tuple[float, float, float, float, float], ...]  # fx, fy, sx, sy, temp
    vignette: float
    sensor_gradient: tuple[float, float]
    blur_px: float


def draw_thermal(rng: np.random.Generator, body: BodyB) -> ThermalB:
    """A random subject-in-a-room: ambient 18–28 °C, skin 29–36 °C, warm zones, room clutter."""
    ambient = float(rng.normal(22.7, 1.4)) if rng.random() < 0.85 else float(rng.uniform(18, 28))
    ambient = float(np.clip(ambient, 18.0, 28.0))
    median = float(np.clip(rng.normal(31.3, 1.5), 28.8, 34.5))
    size = 0.5 * (body.breasts[0].rx + body.breasts[1].rx)
    breast_off = float(rng.uniform(-2.2, 1.6))
    lr = float(rng.normal(0.0, 0.25)) * (2.8 if rng.random() < 0.06 else 1.0)
    warm = float(rng.uniform(0.8, 1.65))  # subject-wide strength of the warm zones
    fold_v = max(b.cv + b.ry_low for b in body.breasts)
    n_objects = int(rng.choice([0, 0, 1, 2]))
    objects = tuple(
        (
            float(rng.uniform(0.0, 1.0)),
            float(rng.uniform(0.0, 1.0)),
            float(rng.uniform(0.03, 0.12)),
            float(rng.uniform(0.05, 0.3)),
            float(rng.uniform(27.0, 37.0)),
        )
        for _ in range(n_objects)
    )
    return ThermalB(
        ambient=ambient,
        room_gradient=(float(rng.normal(0, 0.5)), float(rng.normal(0, 0.5))),
        chest=median + 0.8,
        vertical=float(rng.normal(0.15, 0.7)),
        neck=float(rng.uniform(0.4, 1.4)),
        upper_chest=float(rng.uniform(0.4, 1.4)),
        supraclavicular=warm * float(rng.uniform(0.8, 2.4)),
        axilla=warm * float(rng.uniform(2.0, 4.0)),
        sternum=warm * float(rng.uniform(0.3, 1.2)),
        cleft=warm * float(rng.uniform(0.8, 2.4)),
        fold=warm * (float(rng.uniform(1.0, 2.4)) + 3.0 * (size - 0.22)),
        fold_width=0.03 + 0.12 * (size - 0.2),
        breast_offset=(
            breast_off + float(rng.normal(0, 0.15)),
            breast_off + float(rng.normal(0, 0.15)),
        ),
        abdomen=float(rng.uniform(0.3, 2.0)),
        arm=float(rng.uniform(0.0, 1.0)),
        lower_chest_lr=lr,
        view_cooling=float(rng.uniform(2.0, 5.0)),
        texture=float(rng.uniform(0.33, 0.85)),
        vessels=float(rng.uniform(0.3, 1.1)),
        clothing=(fold_v + float(rng.uniform(0.25, 0.7))) if rng.random() < 0.4 else None,
        clothing_dt=float(rng.uniform(1.5, 6.0)),
        objects=objects,
        vignette=float(rng.uniform(0.0, 0.9)),
        sensor_gradient=(float(rng.normal(0, 0.25)), float(rng.normal(0, 0.25))),
        blur_px=float(rng.uniform(0.5, 1.1)),
    )


def _canvas_shape() -> tuple[int, int]:
    return int((_V1 - _V0) * CANVAS_PPU), int((_U1 - _U0) * CANVAS_PPU)


def _band_noise(rng: np.random.Generator, sigma: float) -> F32:
    field = cv2.GaussianBlur(rng.standard_normal(_canvas_shape()).astype(np.float32), (0, 0), sigma)
    return (field / max(float(field.std()), 1e-6)).astype(np.float32)


def _vessel_canvas(rng: np.random.Generator, body: BodyB) -> F32:
    """Branching random walks from the axillae, the sternum and the abdomen (peak ~1)."""
    canvas = np.zeros(_canvas_shape(), np.float32)
    starts = []
    for side in (-1.0, 1.0):
        b = body.breasts[0 if side < 0 else 1]
        starts += [
            (side * 0.9, 0.45, math.pi / 2 + side * 0.9, 1.0),
            (side * 0.12, 0.35, math.pi / 2 - side * 1.2, 0.7),
            (b.cu + side * b.rx * 0.6, b.cv - b.ry_up * 0.7, math.pi / 2 + side * 0.3, 0.8),
            (side * 0.45, 2.3, -math.pi / 2 + side * 0.4, 0.8),
        ]
    stack = [
        (u, v, heading + float(rng.normal(0, 0.3)), width, 1.0, int(rng.integers(25, 70)))
        for u, v, heading, width in starts
        if rng.random() < 0.8
    ]
    step = 0.025
    while stack:
        u, v, heading, width, amp, steps = stack.pop()
        points = [(u, v)]
        for _ in range(steps):
            heading += float(rng.normal(0.0, 0.25))
            u, v = u + step * math.cos(heading), v + step * math.sin(heading)
            points.append((u, v))
            if width > 0.35 and rng.random() < 0.06:
                turn = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.4, 1.0))
                stack.append((u, v, heading + turn, width * 0.7, amp * 0.8, int(steps * 0.6)))
        pts = np.array([((pu - _U0) * CANVAS_PPU, (pv - _V0) * CANVAS_PPU) for pu, pv in points])
        cv2.polylines(
            canvas,
            [np.round(pts).astype(np.int32)],
            False,
            float(amp),
            thickness=max(1, round(width * 0.018 * CANVAS_PPU)),
            lineType=cv2.LINE_AA,
        )
    return cv2.GaussianBlur(canvas, (0, 0), 1.5).astype(np.float32, copy=False)


def _sample(canvas: F32, geom: GeometryB) -> F32:
    """The canvas seen through the camera; low-pass first where pixels are coarser than it."""
    if geom.ppu < CANVAS_PPU:  # a pixel averages the skin it sees: no aliased salt noise
        sigma = 0.5 * math.sqrt((CANVAS_PPU / geom.ppu) ** 2 - 1.0)
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma).astype(np.float32, copy=False)
    map_x = ((geom.uu - _U0) * CANVAS_PPU).astype(np.float32)
    map_y = ((geom.vv - _V0) * CANVAS_PPU).astype(np.float32)
    out = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out.astype(np.float32, copy=False)


def _gauss(x: npt.NDArray[Any], y: npt.NDArray[Any], sx: float, sy: float) -> F32:
    return np.exp(-0.5 * ((x / sx) ** 2 + (y / sy) ** 2)).astype(np.float32)


def render_skin(body: BodyB, t: ThermalB, geom: GeometryB, tex_rng: np.random.Generator) -> F32:
    """Skin temperature of every pixel (meaningful where ``geom.alpha`` > 0)."""
    uu, vv, du = geom.uu, geom.vv, geom.midline_du
    adu = np.abs(du)
    skin = np.full(uu.shape, t.chest, np.float32)
    neck_column = np.clip((body.neck_hw + 0.15 - adu) / 0.12, 0.0, 1.0)
    skin += t.neck * (1.0 / (1.0 + np.exp((vv - 0.02) / 0.06))) * neck_column
    skin += t.vertical * np.clip(vv - 0.9, -1.2, 1.2)
    skin += t.upper_chest * np.clip((0.6 - vv) / 0.5, 0.0, 1.0) * (1.0 - geom.arm)
    skin += t.supraclavicular * _gauss(adu - 0.42, vv - 0.04, 0.12, 0.06)
    axilla_u = body.hw_chest - 0.04
    axilla_v = 0.45 if body.arms_raised else 0.55
    skin += t.axilla * _gauss(adu - axilla_u, vv - axilla_v, 0.08, 0.12)
    cv_mean = 0.5 * (body.breasts[0].cv + body.breasts[1].cv)
    sternum_window = np.clip((vv - 0.05) / 0.2, 0, 1) * np.clip((cv_mean - vv) / 0.3 + 1, 0, 1)
    skin += t.sternum * np.exp(-((du / 0.09) ** 2)) * sternum_window
    skin += t.cleft * _gauss(du, vv - cv_mean, 0.06, 0.22)
    for i, b in enumerate(body.breasts):
        rho, lower = geom.rho[i], geom.below[i]
        # Smooth, strongest over the lower pole: no painted outline around the breast.
        inside = np.clip((1.25 - rho) / 0.65, 0.0, 1.0) ** 2 * (0.6 + 0.4 * lower)
        skin += t.breast_offset[i] * inside
        fold = np.exp(-(((rho - 1.0 - 0.6 * t.fold_width) / t.fold_width) ** 2))
        skin += t.fold * fold * lower**1.5 * (rho > 0.98)
        nd = np.hypot(uu - (b.cu + b.nipple_du), vv - (b.cv + b.nipple_dv))
        skin += b.areola_dt * np.clip((b.areola_r - nd) * geom.ppu + 0.5, 0, 1)
        skin += b.nipple_dt * np.exp(-0.5 * (nd / (0.25 * b.areola_r)) ** 2)
    fold_v = max(b.cv + b.ry_low for b in body.breasts)
    skin -= t.abdomen * np.clip((vv - fold_v) / 0.6, 0.0, 1.0)
    lower_chest = np.clip((vv - 0.5) / 0.3, 0, 1) * np.clip((2.3 - vv) / 0.3, 0, 1)
    skin += 0.5 * t.lower_chest_lr * np.tanh(du / 0.15) * lower_chest
    skin -= t.arm * geom.arm
    n_z = 1.0 / np.sqrt(1.0 + geom.slope**2)
    skin -= t.view_cooling * (1.0 - n_z) ** 0.8
    texture = 0.6 * _band_noise(tex_rng, 1.2) + 0.8 * _band_noise(tex_rng, 3.5)
    texture += 0.5 * _band_noise(tex_rng, 18.0)
    skin += t.texture * _sample(texture.astype(np.float32), geom)
    skin += t.vessels * _sample(_vessel_canvas(tex_rng, body), geom)
    return skin.astype(np.float32)


def render_scene(body: BodyB, t: ThermalB, geom: GeometryB, tex_rng: np.random.Generator) -> F32:
    """Noise-free scene without lesions, before optics blur; alpha is updated for clothing."""
    h, w = geom.uu.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    fx, fy = xx / max(w - 1, 1) - 0.5, yy / max(h - 1, 1) - 0.5
    room = t.ambient + t.room_gradient[0] * fx + t.room_gradient[1] * fy
    for ox, oy, sx, sy, temp in t.objects:
        room += (temp - t.ambient) * _gauss(fx + 0.5 - ox, fy + 0.5 - oy, sx, sy)
    scene = geom.alpha * render_skin(body, t, geom, tex_rng) + (1.0 - geom.alpha) * room
    if t.clothing is not None:
        cloth = np.clip((geom.vv - t.clothing) * geom.ppu + 0.5, 0.0, 1.0) * (geom.alpha > 0)
        cloth_t = t.ambient + t.clothing_dt + 0.2 * _sample(_band_noise(tex_rng, 6.0), geom)
        scene = (1.0 - cloth) * scene + cloth * cloth_t
    scene += t.sensor_gradient[0] * fx + t.sensor_gradient[1] * fy
    scene -= t.vignette * 2.0 * (fx**2 + fy**2)
    return scene.astype(np.float32)


def skin_alpha(t: ThermalB, geom: GeometryB) -> F32:
    """Skin coverage once the clothing band is taken out."""
    if t.clothing is None:
        return geom.alpha
    cloth = np.clip((geom.vv - t.clothing) * geom.ppu + 0.5, 0.0, 1.0)
    return (geom.alpha * (1.0 - cloth)).astype(np.float32)
