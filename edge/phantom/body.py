"""Noise-free anatomy of a wide clinical frontal view (helper of :mod:`edge.phantom.family_a`).

The DMR-IR framing: neck at the top, shoulders, arms raised (elbows out of frame) or lowered,
axillae, chest, breasts, inframammary folds and the upper abdomen at the bottom. The silhouette is
a union of polygons (torso with neck, two arms) rotated by the posture tilt; skin cools toward
the outline with the distance to it. Warm zones: neck and supraclavicular area, axillae, sternum
and intermammary cleft, inframammary folds (deeper and warmer under large or ptotic breasts);
breasts usually a little cooler than the chest, arms and abdomen cooler still. Optional clothing
at the bottom edge and a warm object in the background. Geometry is in fractions of the frame,
so one subject renders alike at 160×120 and 640×480.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._silhouette import gauss, polygons, raster
from edge.phantom.anatomy import BreastGeometry, breast_coords, grid

__all__ = ["WideBody", "WideRender", "draw_body", "render_body"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class WideBody:
    """Resolution-independent parameters of one subject in the wide view (fractions of W, H)."""

    bg_c: float
    bg_grad_c: float
    bg_texture: npt.NDArray[np.float64]
    skin_c: float
    mid_x: float
    tilt_deg: float
    yaw: float  # >0: the image-left half of the body looks wider
    neck_hw: float
    shoulder_y: float
    shoulder_hw: float
    chest_hw: float
    waist_hw: float
    arms_up: bool
    arm_w: float
    arm_spread: float
    arm_gap: float
    breast_y: float
    breast_dx: float
    breast_rx: tuple[float, float]
    breast_aspect: float
    breast_upper: float
    ptosis: float
    temps: dict[str, float]
    breast_c: tuple[float, float]
    clothing: tuple[float, float] | None  # (top y, share of the skin-ambient gap)
    warm_object: tuple[float, float, float, float] | None  # (y, x, radius fraction of W, °C)


def draw_body(rng: np.random.Generator) -> WideBody:
    """Draw one wide-view subject; the same generator state gives the same subject."""
    chest_hw = float(rng.uniform(0.31, 0.40))
    dx = float(rng.uniform(0.11, 0.15))
    rx = float(rng.uniform(0.075, 0.125))
    # Inside the chest, and a cleft between the breasts whatever the yaw and size asymmetry.
    rx = min(rx, 0.9 * chest_hw - dx, (0.93 * dx - 0.01) / 1.08)
    scale = rng.uniform(0.92, 1.08, 2)
    aspect = float(rng.uniform(0.8, 1.0))
    ptosis = float(rng.uniform(0.0, 1.0))
    ry_low_h = rx * max(scale) * aspect * (1.0 + 0.3 * ptosis) * 4.0 / 3.0  # fraction of H
    bottom = float(rng.uniform(0.77, 0.87))
    size = rx / 0.0975 * (1.0 + 0.5 * ptosis)
    base = float(rng.uniform(-2.6, 1.3))
    asym = float(np.clip(rng.normal(0.0, 0.25), -0.8, 0.8))
    temps = {
        "neck": rng.uniform(1.2, 2.8),
        "supra": rng.uniform(0.4, 1.4),
        "axilla": rng.uniform(3.0, 7.0),
        "sternum": rng.uniform(0.6, 1.8),
        "cleft": rng.uniform(0.4, 1.6),
        "fold": rng.uniform(1.5, 2.8) * size,
        "contour": rng.uniform(0.4, 1.4),
        "abdomen": rng.uniform(0.4, 1.8),
        "arm": rng.uniform(0.3, 1.6),
        "shoulder": rng.uniform(0.2, 1.0),
        "lateral": np.clip(rng.normal(0.0, 0.3), -0.8, 0.8),
        "lower": rng.uniform(-1.4, 0.9),
        "edge": rng.uniform(1.0, 3.0),
        "edge_px": rng.uniform(1.5, 4.0),
    }
    clothing = None
    if rng.uniform() < 0.35:
        clothing = (
            float(min(0.97, bottom + rng.uniform(0.05, 0.12))),
            float(rng.uniform(0.2, 0.6)),
        )
    warm_object = None
    if rng.uniform() < 0.35:
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        warm_object = (
            float(rng.uniform(0.3, 1.0)),
            float(0.5 + side * rng.uniform(0.44, 0.52)),
            float(rng.uniform(0.03, 0.08)),
            float(rng.uniform(26.0, 35.0)),
        )
    return WideBody(
        bg_c=float(np.clip(rng.normal(22.7, 1.7), 18.0, 28.0)),
        bg_grad_c=float(rng.uniform(-0.8, 0.8)),
        bg_texture=rng.uniform(-1.0, 1.0, (4, 5)),
        skin_c=float(rng.uniform(29.6, 33.8)),
        mid_x=float(rng.uniform(0.45, 0.55)),
        tilt_deg=float(rng.uniform(-4.0, 4.0)),
        yaw=float(rng.uniform(-0.07, 0.07)),
        neck_hw=float(rng.uniform(0.075, 0.1)),
        shoulder_y=float(rng.uniform(0.08, 0.18)),
        shoulder_hw=float(rng.uniform(0.39, 0.46)),
        chest_hw=chest_hw,
        waist_hw=chest_hw * float(rng.uniform(0.85, 1.0)),
        arms_up=bool(rng.uniform() < 0.7),
        arm_w=float(rng.uniform(0.13, 0.18)),
        arm_spread=float(rng.uniform(0.0, 0.08)),
        arm_gap=float(rng.uniform(-0.02, 0.03)),
        breast_y=bottom - ry_low_h,
        breast_dx=dx,
        breast_rx=(rx * float(scale[0]), rx * float(scale[1])),
        breast_aspect=aspect,
        breast_upper=float(rng.uniform(1.1, 1.4)),
        ptosis=ptosis,
        temps={k: float(v) for k, v in temps.items()},
        breast_c=(base, base + asym),
        clothing=clothing,
        warm_object=warm_object,
    )


@dataclass(frozen=True)
class WideRender:
    """Noise-free, lesion-free wide render and its geometry."""

    celsius: F32
    body_alpha: F32
    breast: npt.NDArray[np.uint8]
    breasts: tuple[BreastGeometry, BreastGeometry]
    radii: tuple[F32, F32]
    skin_mask: F32  # 1 on bare skin (clothing excluded)


def render_body(a: WideBody, h: int, w: int) -> WideRender:
    """Render the wide view at (h, w) pixels."""
    yy, xx = grid(h, w)
    s = w / 160.0
    t = a.temps
    torso, arm_l, arm_r = raster(polygons(a), a, h, w)
    arms = np.maximum(arm_l, arm_r)
    silhouette = np.maximum(torso, arms)
    alpha = np.asarray(cv2.GaussianBlur(silhouette, (0, 0), 0.6 * s), dtype=np.float32)
    dist = cv2.distanceTransform((silhouette > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    tilt = math.radians(a.tilt_deg)
    c, sn = np.float32(math.cos(tilt)), np.float32(math.sin(tilt))
    dx, dy = xx - np.float32(a.mid_x * w), yy - np.float32(a.breast_y * h)
    across = dx * c - dy * sn  # px from the midline
    down = (dx * sn + dy * c) / np.float32(h) + np.float32(a.breast_y)  # fraction of H

    def at(fy: float, fx: float) -> tuple[float, float]:
        ddx, ddy = (fx - a.mid_x) * w, (fy - a.breast_y) * h
        return (
            a.breast_y * h - ddx * math.sin(tilt) + ddy * math.cos(tilt),
            a.mid_x * w + ddx * math.cos(tilt) + ddy * math.sin(tilt),
        )

    body = np.full((h, w), a.skin_c, np.float32)
    body += t["lower"] * np.clip((down - 0.45) / 0.25, 0, 1)
    body += t["lateral"] * np.clip(across / np.float32(a.chest_hw * w), -1, 1)
    body += (
        t["neck"]
        * np.clip((a.shoulder_y + 0.03 - down) / 0.08, 0, 1)
        * np.exp(-((across / np.float32(0.12 * w)) ** 2))
    )
    ay = a.shoulder_y + 0.15
    breasts = []
    for i, sign in enumerate((-1.0, 1.0)):
        k = 1.0 + a.yaw if sign < 0 else 1.0 - a.yaw
        cy, cx = at(a.shoulder_y + 0.05, a.mid_x + sign * 0.12 * k)
        body += t["supra"] * gauss(yy, xx, cy, cx, 0.04 * h, 0.05 * w)
        cy, cx = at(a.shoulder_y + 0.02, a.mid_x + sign * a.shoulder_hw * 0.95 * k)
        body -= t["shoulder"] * gauss(yy, xx, cy, cx, 0.06 * h, 0.06 * w)
        spot = (0.022, 0.02) if a.arms_up else (0.012, 0.012)
        cy, cx = at(ay, a.mid_x + sign * (a.chest_hw - 0.005) * k)
        body += (
            t["axilla"]
            * (1.0 if a.arms_up else 0.7)
            * gauss(yy, xx, cy, cx, spot[0] * 1.6 * w, spot[1] * w)
        )
        cy, cx = at(a.breast_y, a.mid_x + sign * a.breast_dx * k)
        rx = a.breast_rx[i] * w
        ry = rx * a.breast_aspect * (1.0 + 0.3 * a.ptosis)
        breasts.append(BreastGeometry(cy, cx, rx, ry, rx * a.breast_aspect * a.breast_upper, tilt))
    body += (
        t["sternum"]
        * np.exp(-((across / np.float32(0.03 * w)) ** 2))
        * np.clip((down - a.shoulder_y) / 0.1, 0, 1)
        * np.clip((a.breast_y + 0.05 - down) / 0.1, 0, 1)
    )
    body += (
        t["cleft"]
        * np.exp(-((across / np.float32(0.018 * w)) ** 2))
        * np.exp(-(((down - a.breast_y - 0.03) / 0.09) ** 2))
    )
    fold_y = max(b.cy + b.ry_low for b in breasts) / h
    body -= t["abdomen"] * np.clip((down - fold_y) / 0.12, 0, 1)
    breast_mask = np.zeros((h, w), np.uint8)
    radii = []
    for i, b in enumerate(breasts):
        r, v = breast_coords(b, yy, xx)
        radii.append(r)
        breast_mask |= (r < 1.0).astype(np.uint8)
        vn = v / np.float32(b.ry_low)
        lower = np.clip(vn * 1.6 + 0.2, 0.0, 1.0)
        fade = np.clip((1.0 - r) / 0.4, 0.0, 1.0)
        body += np.float32(a.breast_c[i]) * fade * fade * (3.0 - 2.0 * fade)
        body -= (
            t["contour"]
            * np.clip((r - 0.4) / 0.6, 0, 1) ** 1.5
            * lower
            * np.clip((1.03 - r) / 0.06, 0, 1)
        )
        width = 0.05 + 0.04 * a.ptosis
        body += (
            t["fold"] * np.exp(-(((r - 1.0 - width) / width) ** 2)) * np.clip(vn * 2.5 - 0.5, 0, 1)
        )
    arm_only = np.clip(arms - torso, 0, 1)
    body -= t["arm"] * np.asarray(cv2.GaussianBlur(arm_only, (0, 0), 3.0 * s), dtype=np.float32)
    body -= t["edge"] * np.exp(-dist / np.float32(t["edge_px"] * s))

    bg = np.float32(a.bg_c) + np.float32(a.bg_grad_c) * (yy / np.float32(h) - 0.5)
    bg += 0.3 * cv2.resize(a.bg_texture.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    if a.warm_object is not None:
        oy, ox, orad, oc = a.warm_object
        blob = np.clip(
            (1.0 - np.hypot((yy - oy * h) / (orad * w * 1.5), (xx - ox * w) / (orad * w))) * 4, 0, 1
        )
        bg += (np.float32(oc) - bg) * blob
    skin = np.ones((h, w), np.float32)
    if a.clothing is not None:
        top, share = a.clothing
        cloth = np.clip((down - top) * h / (1.5 * s), 0, 1) * (1 - breast_mask)
        cloth_c = a.bg_c + share * (a.skin_c - a.bg_c)
        body += (np.float32(cloth_c) - body) * cloth
        skin -= cloth
    image = bg + (body - bg) * alpha
    return WideRender(
        image.astype(np.float32),
        alpha,
        breast_mask,
        (breasts[0], breasts[1]),
        (radii[0], radii[1]),
        skin * alpha,
    )
