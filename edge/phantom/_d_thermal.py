"""Family "d" temperatures: a layered heat-transfer model, the room and the optics.

Skin temperature is the steady state of heat flowing from the body core through the tissue to
the room: ``T = T_room + (T_core - T_room) / (1 + Bi)`` with the Biot number ``Bi = h d / k``
(surface heat transfer ``h``, tissue thickness ``d``, tissue conductance ``k``). Each subject's
``Bi`` on the chest follows from its chest skin temperature; every anatomical effect is a
factor on ``Bi``: thin tissue over the sternum and the neck, fat in the breasts and the abdomen,
skin-to-skin contact (no convection) in the axillae and the inframammary folds, convection that
grows toward the lower body, perfusion raised along the vessel trees, in the areolae, in
glandular breasts and on one side of the lower chest, and Gabor-noise skin blood flow. The arms
draw on a cooler core. The camera sees the skin through a directional emissivity: where the
surface turns away (the flanks, the lower poles of the breasts, the arms' edges) it emits less
and reflects the room. The room has a vertical gradient, a lamp glow, a cool window bar or a
radiator; a garment may cover the abdomen; the optics blur and shade the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._d_body import BodyD, GeomD

__all__ = ["ThermalD", "draw_thermal", "optics", "render"]

F32 = npt.NDArray[np.float32]
_CORE_C = 37.0


@dataclass(frozen=True)
class ThermalD:
    """Per-subject thermal parameters; ``log_*`` are natural-log factors on the Biot number."""

    ambient: float
    room_slope: float  # °C from the frame bottom to its top
    chest: float  # chest skin temperature, °C
    arm_core_drop: float
    log_breast: tuple[float, float]  # fat (> 0, cooler) or glandular perfusion (< 0, warmer)
    log_sternum: float
    log_neck: float
    log_supraclavicular: float
    log_axilla: float
    log_fold: float
    fold_width: float  # cm
    log_abdomen: float
    log_convection: float  # per 40 cm down
    log_arm: float
    log_vessels: float
    log_areola: tuple[float, float]
    log_lr: float  # lower chest, image right side minus left
    log_texture: float
    log_mottle: float
    emissivity: float
    grazing: float  # exponent of the emissivity fall-off toward grazing angles
    garment: float | None  # y (cm) where a garment starts
    garment_dt: float
    objects: tuple[tuple[str, float, float, float, float], ...]  # kind, fx, fy, size, °C
    blur_px: float  # optics sigma in pixels of a 160-wide frame
    vignette: float

    @property
    def chest_offset(self) -> float:
        return self.chest - 31.3


def draw_thermal(rng: np.random.Generator, body: BodyD) -> ThermalD:
    """A subject in a room: ambient 18-28 °C, skin 29-36 °C, breasts warmer or cooler."""
    ambient = float(np.clip(rng.normal(22.7, 1.6), 18.0, 28.0))
    if rng.random() < 0.1:
        ambient = float(rng.uniform(18.0, 28.0))
    chest = 31.6 + 0.25 * (ambient - 22.7) + float(rng.normal(0.0, 1.2))
    chest = float(np.clip(chest, max(29.2, ambient + 4.0), 34.8))
    breast = float(rng.uniform(-0.25, 1.2))
    kinds = ("lamp", "window", "radiator")
    objects = tuple(
        (
            str(rng.choice(kinds)),
            float(rng.uniform(0.0, 1.0)),
            float(rng.uniform(0.0, 1.0)),
            float(rng.uniform(0.04, 0.15)),
            float(rng.uniform(2.0, 9.0)),
        )
        for _ in range(int(rng.choice([0, 1, 1, 2])))
    )
    size = 0.5 * (body.breasts[0].half_w + body.breasts[1].half_w)
    return ThermalD(
        ambient=ambient,
        room_slope=float(rng.normal(0.5, 0.5)),
        chest=chest,
        arm_core_drop=float(rng.uniform(0.5, 1.5)),
        log_breast=(breast + float(rng.normal(0.0, 0.04)), breast + float(rng.normal(0.0, 0.04))),
        log_sternum=float(rng.uniform(0.15, 0.45)),
        log_neck=float(rng.uniform(0.05, 0.25)),
        log_supraclavicular=float(rng.uniform(0.1, 0.5)),
        log_axilla=float(rng.uniform(1.4, 2.3)),
        log_fold=float(rng.uniform(0.5, 1.1)) * (0.6 + size / 12.0),
        fold_width=float(rng.uniform(0.8, 1.6)),
        log_abdomen=float(rng.uniform(0.1, 0.4)),
        log_convection=float(rng.uniform(0.0, 0.6)),
        log_arm=float(rng.uniform(0.1, 0.3)),
        log_vessels=float(rng.uniform(0.1, 0.3)),
        log_areola=(float(rng.uniform(-0.35, 0.3)), float(rng.uniform(0.8, 1.2))),
        log_lr=float(rng.normal(0.0, 0.05)) * (2.0 if rng.random() < 0.1 else 1.0),
        log_texture=float(rng.uniform(0.16, 0.28)),
        log_mottle=float(rng.uniform(0.04, 0.12)),
        emissivity=float(rng.uniform(0.96, 0.99)),
        grazing=float(rng.uniform(3.5, 6.0)),
        garment=(body.fold_y + float(rng.uniform(7.0, 16.0))) if rng.random() < 0.35 else None,
        garment_dt=float(rng.uniform(1.0, 5.0)),
        objects=objects,
        blur_px=float(rng.uniform(0.4, 1.0)),
        vignette=float(rng.uniform(-0.2, 0.6)),
    )


def _gauss(x: F32, y: F32, cx: float, cy: float, sx: float, sy: float) -> F32:
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2)).astype(np.float32)


def _log_biot(body: BodyD, t: ThermalD, g: GeomD, vessels: F32, fine: F32, mottle: F32) -> F32:
    """ln(Bi / Bi_chest) at every pixel."""
    y, mid = g.y, g.mid
    out = np.zeros(y.shape, np.float32)
    fold_y = body.fold_y
    chest_rows = np.clip((y - 1.0) / 4.0, 0.0, 1.0) * np.clip((fold_y + 3.0 - y) / 4.0, 0.0, 1.0)
    out -= t.log_sternum * np.exp(-((mid / 1.8) ** 2)) * chest_rows
    neck_hw = body.knots[1][1]
    out -= t.log_neck * np.clip(-y / 3.0, 0.0, 1.0)
    axilla_y = 6.0 if body.arms_raised else 9.0
    axilla_x = float(np.interp(axilla_y, [k[0] for k in body.knots], [k[1] for k in body.knots]))
    for sign in (-1.0, 1.0):
        out -= t.log_supraclavicular * _gauss(mid, y, sign * (neck_hw + 2.5), -0.5, 2.2, 1.6)
        out -= t.log_axilla * _gauss(mid, y, sign * (axilla_x - 1.0), axilla_y, 2.0, 3.2)
    for i, b in enumerate(body.breasts):
        rho, q = g.rho[i], g.q[i]
        out += t.log_breast[i] * np.clip(1.6 - rho, 0.0, 1.0) ** 0.7  # the fat pad
        band = np.exp(-(((rho - 1.0) * b.low / t.fold_width) ** 2))
        out -= t.log_fold * band * np.clip(2.0 * q - 0.3, 0.0, 1.0)
        nd = np.hypot(g.p[i] - b.nipple[0], g.q[i] - b.nipple[1]) * b.half_w
        areola = 1.0 / (1.0 + np.exp(np.clip((nd - b.areola_r) / 0.25, -30.0, 30.0)))
        out += t.log_areola[0] * areola
        out -= 0.35 * t.log_areola[1] * np.exp(-((nd / 0.6) ** 2))  # the nipple's own vessels
    out += t.log_abdomen * np.clip((y - fold_y) / 12.0, 0.0, 1.5)
    out += t.log_convection * np.clip((y - 5.0) / 40.0, -0.05, 1.0)
    out -= t.log_lr * np.tanh(mid / 3.0) * np.clip((y - 8.0) / 4.0, 0.0, 1.0) * chest_rows
    on_arm = np.clip(g.arm_in / 1.5, 0.0, 1.0)
    out += t.log_arm * on_arm
    out -= t.log_vessels * vessels * (1.0 - 0.7 * on_arm)
    out += t.log_texture * fine + t.log_mottle * mottle
    return out.astype(np.float32)


def _room(t: ThermalD, h: int, w: int) -> F32:
    fy = (np.arange(h, dtype=np.float32) / max(h - 1, 1))[:, None]
    fx = (np.arange(w, dtype=np.float32) / max(w - 1, 1))[None, :]
    room = np.full((h, w), t.ambient, np.float32) + np.float32(t.room_slope) * (0.5 - fy)
    aspect = h / w
    for kind, ox, oy, size, dt in t.objects:
        if kind == "lamp":  # a warm disc in a glow
            r = np.hypot(fx - ox, (fy - oy) * aspect)
            room = room + dt * (np.clip((size - r) * w / 2.0, 0.0, 1.0) + 0.3 * np.exp(-r / size))
        elif kind == "window":  # a cool vertical bar
            bar = np.clip((size * 0.5 - np.abs(fx - ox)) * w / 2.0, 0.0, 1.0)
            room = room - 0.6 * dt * bar * np.ones_like(fy)
        else:  # a radiator: warm horizontal ribs in a box
            box = np.clip((size - np.abs(fx - ox)) * w / 2.0, 0.0, 1.0)
            box = box * np.clip((0.6 * size - np.abs(fy - oy)) * h / 2.0, 0.0, 1.0)
            ribs = 0.6 + 0.4 * np.cos(2.0 * math.pi * fx * w / max(4.0, 0.02 * w))
            room = room + dt * box * ribs
    return room.astype(np.float32)


def optics(t: ThermalD, image: F32) -> F32:
    """The lens blur, scaled with the frame width."""
    sigma = t.blur_px * image.shape[1] / 160.0
    out = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return out.astype(np.float32, copy=False)


def render(
    body: BodyD, t: ThermalD, g: GeomD, vessels: F32, fine: F32, mottle: F32
) -> tuple[F32, F32]:
    """Lesion-free noise-free frame (°C, after the optics) and the skin coverage (0..1)."""
    h, w = g.x.shape
    g0 = (t.chest - t.ambient) / (_CORE_C - t.ambient)
    biot = np.float32(1.0 / g0 - 1.0) * np.exp(_log_biot(body, t, g, vessels, fine, mottle))
    core = _CORE_C - t.arm_core_drop * np.clip(g.arm_in / 2.0, 0.0, 1.0)
    skin = t.ambient + (core - t.ambient) / (1.0 + biot)
    # Directional emissivity: skin is nearly black facing the camera, a mirror at grazing.
    eps = t.emissivity * (1.0 - (1.0 - np.clip(g.cos_view, 0.0, 1.0)) ** t.grazing)
    seen = eps * skin + (1.0 - eps) * t.ambient
    alpha = np.clip(g.body_in / np.float32(g.cm_per_px) + 0.5, 0.0, 1.0).astype(np.float32)
    room = _room(t, h, w)
    scene = alpha * seen + (1.0 - alpha) * room
    if t.garment is not None:
        cloth = np.clip((g.y - t.garment) / g.cm_per_px + 0.5, 0.0, 1.0) * (alpha > 0)
        fabric = t.ambient + t.garment_dt + 0.4 * mottle
        scene = (1.0 - cloth) * scene + cloth * fabric
        alpha = alpha * (1.0 - cloth)
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    shade = np.float32(0.5 * t.vignette) * (xx * xx + yy * yy)
    out = optics(t, scene.astype(np.float32)) - shade
    return out.astype(np.float32), optics(t, alpha.astype(np.float32))
