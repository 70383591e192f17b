"""The wide view's silhouette polygons and rasterising (internal to :mod:`edge.phantom.body`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from edge.phantom.body import WideBody

F32 = npt.NDArray[np.float32]


def polygons(a: WideBody) -> list[list[tuple[float, float]]]:
    """Torso (with neck) and both arms as (x, y) fractions, before the tilt."""
    sy, ay = a.shoulder_y, a.shoulder_y + 0.17
    polys: list[list[tuple[float, float]]] = []
    sides = []
    for sign, k in ((-1.0, 1.0 + a.yaw), (1.0, 1.0 - a.yaw)):
        side = [
            (a.neck_hw * k, -0.05),
            (a.neck_hw * 1.1 * k, sy - 0.03),
            (a.shoulder_hw * 0.75 * k, sy + 0.01),
            (a.shoulder_hw * k, sy + 0.06),
            ((a.chest_hw + 0.015) * k, ay),
            (a.chest_hw * k, a.breast_y),
            (a.waist_hw * k, 1.05),
        ]
        sides.append([(a.mid_x + sign * x, y) for x, y in side])
        if a.arms_up:
            outer = a.shoulder_hw + 0.05 + a.arm_spread
            arm = [
                ((a.chest_hw + 0.01) * k, ay),
                (max(a.shoulder_hw + 0.01, outer - 0.04) * k, sy + 0.07),  # deltoid
                (outer * k, -0.05),
                ((outer - a.arm_w) * k, -0.05),
                (a.shoulder_hw * 0.8 * k, sy),
            ]
        else:
            arm = [
                (a.shoulder_hw * k, sy + 0.05),
                ((a.shoulder_hw + 0.02 + 0.3 * a.arm_spread) * k, 1.05),
                ((a.shoulder_hw + 0.02 + 0.3 * a.arm_spread - a.arm_w) * k, 1.05),
                ((a.chest_hw + a.arm_gap) * k, ay),
                (a.shoulder_hw * 0.85 * k, sy + 0.03),
            ]
        polys.append([(a.mid_x + sign * x, y) for x, y in arm])
    polys.insert(0, sides[0] + sides[1][::-1])
    return polys


def raster(polys: list[list[tuple[float, float]]], a: WideBody, h: int, w: int) -> list[F32]:
    tilt = math.radians(a.tilt_deg)
    c, s = math.cos(tilt), math.sin(tilt)
    px, py = a.mid_x * w, a.breast_y * h
    out = []
    for poly in polys:
        pts = []
        for fx, fy in poly:
            dx, dy = fx * w - px, fy * h - py
            pts.append((px + dx * c + dy * s, py - dx * s + dy * c))
        canvas = np.zeros((h, w), np.uint8)
        arr = np.rint(np.array(pts) * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(canvas, [arr], 255, cv2.LINE_AA, shift=4)
        out.append(canvas.astype(np.float32) / np.float32(255.0))
    return out


def gauss(yy: F32, xx: F32, cy: float, cx: float, sy: float, sx: float) -> F32:
    return np.exp(
        -(
            ((yy - np.float32(cy)) / np.float32(sy)) ** 2
            + ((xx - np.float32(cx)) / np.float32(sx)) ** 2
        )
        / 2
    )
