"""Family "d" superficial vessels: branching arterial trees (helper of :mod:`.family_d`).

The breast skin is fed by perforators of the internal thoracic artery beside the sternum, by
the lateral thoracic artery from the axilla and by the thoraco-acromial artery from above. Each
root grows a binary tree in body cm: radii split by Murray's law (``r³ = r₁³ + r₂³``), the
branch angles follow from the radii (the minimum-work angles), lengths shrink per generation,
each segment wiggles a little, and vessels rise toward the skin as they branch. The tree is
rasterised per frame (width from the radius, at least a pixel, fainter when thinner than one),
then blurred by its depth under the skin: deep vessels look broad and faint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._d_body import BodyD, ViewD

__all__ = ["Segment", "grow_trees", "perfusion"]

F32 = npt.NDArray[np.float32]
_MIN_RADIUS = 0.035  # cm: thinner branches are capillary beds, not visible vessels
_LEVELS = 6


@dataclass(frozen=True)
class Segment:
    """One straight piece of vessel: ends (x, y cm), radius and depth under the skin (cm)."""

    x0: float
    y0: float
    x1: float
    y1: float
    radius: float
    depth: float


def _murray_angles(r: float, r1: float, r2: float) -> tuple[float, float]:
    """Branch angles (radians from the parent's axis) of the minimum-work bifurcation."""
    c1 = (r**4 + r1**4 - r2**4) / (2.0 * r * r * r1 * r1)
    c2 = (r**4 + r2**4 - r1**4) / (2.0 * r * r * r2 * r2)
    return math.acos(max(-1.0, min(1.0, c1))), math.acos(max(-1.0, min(1.0, c2)))


def _tree(
    rng: np.random.Generator, x: float, y: float, angle: float, radius: float, length: float
) -> list[Segment]:
    out: list[Segment] = []
    stack = [(x, y, angle, radius, length, float(rng.uniform(0.5, 0.9)), 0)]
    while stack:
        x, y, angle, r, length, depth, level = stack.pop()
        heading = angle
        for _ in range(3):  # a slightly tortuous path
            heading += float(rng.normal(0.0, 0.22))
            step = length / 3.0
            nx, ny = x + step * math.cos(heading), y + step * math.sin(heading)
            out.append(Segment(x, y, nx, ny, r, depth))
            x, y = nx, ny
        if level + 1 >= _LEVELS:
            continue
        ratio = float(rng.uniform(0.45, 1.0))  # r2 / r1
        r1 = r / (1.0 + ratio**3) ** (1.0 / 3.0)
        r2 = ratio * r1
        a1, a2 = _murray_angles(r, r1, r2)
        turn = 1.0 if rng.random() < 0.5 else -1.0
        shrink = float(rng.uniform(0.65, 0.85))
        shallower = depth * float(rng.uniform(0.6, 0.85))
        for child_r, child_a in ((r1, turn * a1), (r2, -turn * a2)):
            if child_r >= _MIN_RADIUS:
                child = (x, y, heading + child_a, child_r, length * shrink, shallower, level + 1)
                stack.append(child)
    return out


def grow_trees(rng: np.random.Generator, body: BodyD) -> tuple[Segment, ...]:
    """All the subject's vessel trees, rooted where the feeding arteries reach the skin."""
    chest = body.knots[6][1]
    segments: list[Segment] = []
    for sign in (-1.0, 1.0):
        outward = 0.0 if sign > 0 else math.pi
        for _ in range(int(rng.integers(2, 4))):  # internal thoracic perforators
            x, y = sign * float(rng.uniform(1.5, 3.2)), float(rng.uniform(3.0, 16.0))
            angle = outward + sign * float(rng.uniform(0.1, 0.7))
            segments += _tree(rng, x, y, angle, float(rng.uniform(0.10, 0.16)), 5.0)
        for _ in range(int(rng.integers(1, 3))):  # lateral thoracic, from the axilla
            x, y = sign * (chest - float(rng.uniform(0.5, 2.0))), float(rng.uniform(6.0, 11.0))
            angle = outward + math.pi - sign * float(rng.uniform(0.3, 0.9))
            segments += _tree(rng, x, y, angle, float(rng.uniform(0.11, 0.17)), 6.0)
        x, y = sign * chest * float(rng.uniform(0.45, 0.7)), float(rng.uniform(0.0, 3.0))
        angle = math.pi / 2.0 - sign * float(rng.uniform(0.0, 0.5))  # thoraco-acromial
        segments += _tree(rng, x, y, angle, float(rng.uniform(0.08, 0.13)), 5.0)
    return tuple(segments)


def perfusion(segments: tuple[Segment, ...], view: ViewD, h: int, w: int) -> F32:
    """0..~1 map of the vessels seen through the skin in one frame."""
    s = view.width_cm / w
    c, sn = math.cos(view.roll), math.sin(view.roll)
    layers = {0: np.zeros((h, w), np.float32), 1: np.zeros((h, w), np.float32)}
    for seg in segments:
        pts = []
        for x, y in ((seg.x0, seg.y0), (seg.x1, seg.y1)):
            dx, dy = x - view.cx, y - view.cy
            col = (c * dx + sn * dy) / s + (w - 1) / 2.0
            row = (-sn * dx + c * dy) / s + (h - 1) / 2.0
            pts.append((round(col * 16), round(row * 16)))
        if all(p[0] < -160 or p[0] > 16 * (w + 10) for p in pts):
            continue
        if all(p[1] < -160 or p[1] > 16 * (h + 10) for p in pts):
            continue
        width_px = 2.0 * seg.radius / s
        thickness = max(1, round(width_px))
        value = min(1.0, width_px)  # a line thinner than a pixel carries its share
        layer = layers[0 if seg.depth < 0.45 else 1]
        cv2.line(layer, pts[0], pts[1], value, thickness, cv2.LINE_AA, shift=4)
    out = np.zeros((h, w), np.float32)
    for key, depth_cm, gain in ((0, 0.25, 1.0), (1, 0.6, 0.7)):
        sigma = max(0.5, depth_cm / s)
        out += np.float32(gain) * cv2.GaussianBlur(layers[key], (0, 0), sigma)
    # A blurred line peaks at about 3.2 x its radius in cm whatever the pixel size: x3 puts a
    # 1 mm vessel near 1.
    return np.clip(out * np.float32(3.0), 0.0, 1.5).astype(np.float32)
