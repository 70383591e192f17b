"""2-D signed-distance primitives for phantom family "c" (helper of :mod:`.family_c`).

Distances are in centimetres, negative inside. Shapes combine with a polynomial smooth minimum,
whose *crease* (how much the smooth union bulges past the plain union) marks where two body
parts meet: family "c" puts its axillae and supraclavicular warmth there.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["capsule", "crease", "smin", "trapezoid", "uneven_capsule"]

F32 = npt.NDArray[np.float32]


def smin(a: F32, b: F32, k: float) -> F32:
    """Polynomial smooth minimum with blend radius ``k`` (cm)."""
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return (np.minimum(a, b) - h * h * (k / 4.0)).astype(np.float32)


def crease(a: F32, b: F32, k: float) -> F32:
    """0..1: how deep a point lies in the fillet :func:`smin` adds between ``a`` and ``b``."""
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    near = np.clip(1.0 - np.maximum(np.minimum(a, b), 0.0) / k, 0.0, 1.0)
    return (h * h * near).astype(np.float32)


def capsule(x: F32, y: F32, a: tuple[float, float], b: tuple[float, float], r: float) -> F32:
    """A segment from ``a`` to ``b`` (x, y cm) thickened by ``r``."""
    px, py = x - a[0], y - a[1]
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return (np.hypot(px - t * dx, py - t * dy) - r).astype(np.float32)


def trapezoid(x: F32, y: F32, top_hw: float, bottom_hw: float, half_h: float) -> F32:
    """Isosceles trapezoid centred at the origin, ``y`` down: half-widths at its top and bottom."""
    px = np.abs(x)
    ca_x = px - np.minimum(px, np.where(y < 0.0, top_hw, bottom_hw))
    ca_y = np.abs(y) - half_h
    k1x, k1y = bottom_hw, half_h
    k2x, k2y = bottom_hw - top_hw, 2.0 * half_h
    t = np.clip(((k1x - px) * k2x + (k1y - y) * k2y) / (k2x * k2x + k2y * k2y), 0.0, 1.0)
    cb_x, cb_y = px - k1x + k2x * t, y - k1y + k2y * t
    sign = np.where((cb_x < 0.0) & (ca_y < 0.0), -1.0, 1.0)
    dist = np.sqrt(np.minimum(ca_x * ca_x + ca_y * ca_y, cb_x * cb_x + cb_y * cb_y))
    return (sign * dist).astype(np.float32)


def uneven_capsule(q: F32, s: F32, r1: float, r2: float, length: float) -> F32:
    """Tapered capsule on its own axis: circle ``r1`` at s = 0, circle ``r2`` at s = ``length``.

    ``s`` runs along the axis, ``q`` across it; ``|r1 - r2| < length``.
    """
    q = np.abs(q)
    b = (r1 - r2) / length
    a = float(np.sqrt(1.0 - b * b))
    k = -b * q + a * s
    cap1 = np.hypot(q, s) - r1
    cap2 = np.hypot(q, s - length) - r2
    side = a * q + b * s - r1
    return np.where(k < 0.0, cap1, np.where(k > a * length, cap2, side)).astype(np.float32)
