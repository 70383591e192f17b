"""Family "c" temperatures: skin physiology, room and optics (helper of :mod:`.family_c`).

Skin is a core-skin baseline plus heat *sources* placed by the body's shape, then spread by
lateral conduction (a blur of about a centimetre): the fillets where the arms and the neck join
the trunk (axillae, supraclavicular fossae), a line along the sternum and the intermammary
cleft, the skin-to-skin contact band under each breast (inframammary fold), the neck. Sinks: the
breasts (mostly cooler, sometimes warmer than the chest), the abdomen below the folds, the
arms, and the silhouette, where the surface turns away from the camera (cooling decays with the
depth inside the outline). Detail: gradient-noise texture and mottling, ridge-noise vessels, the
areolae. The room: ambient with a vertical gradient, rounded warm or cool objects (a radiator,
a lamp, a window), a garment at the waist; the optics blur and shade the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._c_body import BodyC, ShapeC
from edge.phantom._c_texture import Lattice, fbm, ridges

__all__ = ["HeatC", "draw_heat", "optics_blur", "render_frame"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class HeatC:
    """Per-subject temperatures (°C) and sizes (cm) of the thermal model."""

    ambient: float
    room_slope: float  # °C per frame height, warmer up
    core: float  # chest skin baseline
    neck: float
    neck_base: float
    axilla: float
    sternum: float
    fold: float
    fold_width: float
    pole: float
    breast: tuple[float, float]
    abdomen: float
    vertical: float  # °C from the upper chest to the folds (cooling downward when < 0)
    arm: float
    edge: float
    edge_depth: float
    lr: float
    areola: tuple[float, float]
    texture: float
    mottle: float
    vessels: float
    vessel_cell: float
    garment: float | None  # y (cm) where a garment starts
    garment_dt: float
    objects: tuple[tuple[float, float, float, float, float], ...]  # fx, fy, half w, half h, °C
    blur_px: float  # optics sigma, in pixels of a 160-wide frame
    shading: float

    @property
    def chest_offset(self) -> float:
        return self.core - 31.4


def draw_heat(rng: np.random.Generator, body: BodyC) -> HeatC:
    """A subject in a room: ambient 18-28 °C, skin 29-36 °C, breasts warmer or cooler."""
    if rng.random() < 0.85:
        ambient = float(np.clip(rng.normal(22.6, 1.3), 18.0, 28.0))
    else:
        ambient = float(rng.uniform(18.0, 28.0))
    core = 31.4 + 0.2 * (ambient - 22.6) + float(rng.normal(0.0, 1.25))
    core = float(np.clip(core, 29.3, 34.6))
    size = 0.5 * (body.breasts[0].r_lower + body.breasts[1].r_lower)
    vaso = float(rng.uniform(0.7, 1.4))  # how strongly this subject's warm zones stand out
    breast = float(rng.uniform(-3.0, 0.5))
    objects = []
    for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
        objects.append(
            (
                float(rng.uniform(0.0, 1.0)),
                float(rng.uniform(0.0, 1.0)),
                float(rng.uniform(0.02, 0.12)),
                float(rng.uniform(0.04, 0.35)),
                ambient + float(rng.choice([-1.0, 1.0])) * float(rng.uniform(1.0, 9.0)),
            )
        )
    return HeatC(
        ambient=ambient,
        room_slope=float(rng.normal(0.6, 0.5)),
        core=core,
        neck=vaso * float(rng.uniform(0.3, 1.3)),
        neck_base=vaso * float(rng.uniform(0.8, 2.4)),
        axilla=vaso * float(rng.uniform(4.0, 6.0)),
        sternum=vaso * float(rng.uniform(0.6, 1.8)),
        fold=vaso * float(rng.uniform(1.4, 2.8)) * (0.7 + size / 12.0),
        fold_width=float(rng.uniform(0.8, 1.6)),
        pole=float(rng.uniform(0.3, 1.5)),
        breast=(breast + float(rng.normal(0, 0.15)), breast + float(rng.normal(0, 0.15))),
        abdomen=float(rng.uniform(0.5, 2.5)),
        vertical=float(rng.normal(-0.4, 0.8)),
        arm=float(rng.uniform(-0.3, 0.8)),
        edge=float(rng.uniform(2.0, 4.5)),
        edge_depth=float(rng.uniform(1.0, 2.2)),
        lr=float(rng.normal(0.0, 0.45)) * (2.5 if rng.random() < 0.1 else 1.0),
        areola=(float(rng.uniform(-1.0, 0.8)), float(rng.uniform(-1.0, 1.0))),
        texture=float(rng.uniform(0.6, 1.2)),
        mottle=float(rng.uniform(0.15, 0.5)),
        vessels=float(rng.uniform(1.3, 2.6)),
        vessel_cell=float(rng.uniform(5.0, 9.0)),
        garment=(body.fold_y + float(rng.uniform(8.0, 18.0))) if rng.random() < 0.35 else None,
        garment_dt=float(rng.uniform(1.0, 5.0)),
        objects=tuple(objects),
        blur_px=float(rng.uniform(0.45, 1.0)),
        shading=float(rng.uniform(-0.3, 0.6)),
    )


def _soft_inside(d: F32, scale: float) -> F32:
    """1 deep inside a shape, 0 outside, a logistic ramp ``scale`` cm wide."""
    return (1.0 / (1.0 + np.exp(np.clip(d / scale, -30.0, 30.0)))).astype(np.float32)


def _skin(body: BodyC, t: HeatC, g: ShapeC, lattice: Lattice) -> F32:
    u, y = g.midline, g.y
    skin = np.full(u.shape, t.core, np.float32)
    # Sources, to be spread by conduction below.
    src = np.zeros(u.shape, np.float32)
    # The armpit, not the whole join: the fillet below the shoulder, around the axillary level.
    axilla_y = 7.0 if body.arms_raised else 9.0
    src += t.axilla * g.axilla * np.exp(-(((y - axilla_y) / 4.0) ** 2))
    src += t.neck_base * g.neck_base
    src += t.neck * _soft_inside(g.neck, 1.5) * (y < 2.0)
    fold_y = 0.5 * (body.breasts[0].centre()[1] + body.breasts[1].centre()[1])
    window = np.clip((y - 1.0) / 4.0, 0.0, 1.0) * np.clip((fold_y + 4.0 - y) / 4.0, 0.0, 1.0)
    src += t.sternum * np.exp(-((u / 1.6) ** 2)) * window
    arm_in = _soft_inside(g.arm, 1.0)
    for i, b in enumerate(body.breasts):
        d = g.breast[i]
        cy = b.centre()[1]
        below = np.clip((y - cy) / b.r_lower, 0.0, 1.0)
        band = np.exp(-(((d - 0.3 * t.fold_width) / t.fold_width) ** 2))
        src += t.fold * band * below**1.2
        skin += t.breast[i] * _soft_inside(d + 1.0, 1.8) * (1.0 - arm_in)
        # The lower pole turns away from the camera just above the warm fold.
        skin -= t.pole * np.exp(np.minimum(d, 0.0) / 1.5) * (d < 0.0) * below**1.5
        nd = np.hypot(u - b.nipple[0], y - b.nipple[1])
        skin += t.areola[0] * _soft_inside(nd - b.areola_r, 0.25)
        skin += t.areola[1] * np.exp(-((nd / 0.6) ** 2))
    sigma = max(0.5, 1.0 / g.cm_per_px)  # ~1 cm of lateral conduction
    skin += cv2.GaussianBlur(src, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    # Sinks and gradients.
    skin -= t.abdomen * np.clip((y - body.fold_y) / 12.0, 0.0, 1.5)
    skin += t.vertical * np.clip((y - 8.0) / (body.fold_y - 8.0), -0.25, 1.2)
    skin -= t.arm * arm_in
    chest = np.clip((y - 8.0) / 4.0, 0.0, 1.0) * np.clip((body.fold_y + 6.0 - y) / 4.0, 0.0, 1.0)
    skin += 0.5 * t.lr * np.tanh(u / 3.0) * chest
    depth = np.maximum(-g.body, 0.0)
    skin -= t.edge * np.exp(-depth / t.edge_depth)
    if not body.arms_raised:  # a hanging arm's medial outline turns away in front of the trunk
        skin -= 0.6 * t.edge * np.exp(-np.maximum(-g.arm, 0.0) / t.edge_depth) * arm_in
    # Detail: fine texture, blotchy mottling, vessels (strongest on the breasts and chest).
    skin += t.texture * fbm(lattice, 0, u, y, 0.9, 3, 0.7, g.cm_per_px)
    blotch = fbm(lattice, 4, u, y, 6.0, 2, 0.5, g.cm_per_px)
    skin += t.mottle * np.tanh(1.5 * blotch)
    on_chest = np.maximum(
        _soft_inside(np.minimum(g.breast[0], g.breast[1]) - np.float32(4.0), 2.0), 0.35
    )
    patchy = np.clip(0.6 + 0.8 * lattice.noise(7, u, y, 12.0), 0.0, 1.0)
    vein = ridges(lattice, 8, u, y, t.vessel_cell, 0.3, g.cm_per_px)
    vein += 0.6 * ridges(lattice, 12, u, y, 0.5 * t.vessel_cell, 0.2, g.cm_per_px)
    skin += t.vessels * vein * patchy * on_chest
    return skin.astype(np.float32)


def _room(t: HeatC, h: int, w: int) -> F32:
    fy = (np.arange(h, dtype=np.float32) / max(h - 1, 1))[:, None]
    fx = (np.arange(w, dtype=np.float32) / max(w - 1, 1))[None, :]
    room = np.full((h, w), t.ambient, np.float32) + np.float32(t.room_slope) * (0.5 - fy)
    for ox, oy, hw, hh, temp in t.objects:
        qx, qy = np.abs(fx - ox) - hw, np.abs(fy - oy) - hh  # rounded-box distance
        sd = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0)) + np.minimum(
            np.maximum(qx, qy), 0.0
        )
        inside = 1.0 / (1.0 + np.exp(np.clip((sd - 0.01) * w / 1.5, -30.0, 30.0)))
        room = room + np.float32(temp - t.ambient) * inside.astype(np.float32)
    return room.astype(np.float32)


def optics_blur(t: HeatC, image: F32) -> F32:
    """The lens blur, scaled with the frame width."""
    sigma = t.blur_px * image.shape[1] / 160.0
    out = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return out.astype(np.float32, copy=False)


def render_frame(body: BodyC, t: HeatC, g: ShapeC, lattice: Lattice) -> tuple[F32, F32]:
    """Lesion-free noise-free frame (°C, after the optics) and the skin coverage (0..1)."""
    h, w = g.x.shape
    alpha = np.clip(0.5 - g.body / np.float32(g.cm_per_px), 0.0, 1.0).astype(np.float32)
    scene = alpha * _skin(body, t, g, lattice) + (1.0 - alpha) * _room(t, h, w)
    if t.garment is not None:
        cloth = np.clip((g.y - t.garment) / g.cm_per_px + 0.5, 0.0, 1.0) * (alpha > 0)
        fabric = t.ambient + t.garment_dt + 0.3 * lattice.noise(10, g.x, g.y, 3.0)
        scene = (1.0 - cloth) * scene + cloth * fabric
        alpha = alpha * (1.0 - cloth)
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    scene = optics_blur(t, scene.astype(np.float32)) - np.float32(t.shading) * (
        0.5 * (xx * xx + yy * yy)
    )
    return scene.astype(np.float32), optics_blur(t, alpha.astype(np.float32))
