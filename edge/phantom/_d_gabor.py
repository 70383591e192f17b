"""Family "d" skin texture: sparse Gabor noise (helper of :mod:`.family_d`).

Texture is a sum of many random anisotropic Gabor blobs: impulses of random sign scattered over
the body frame (cm) at a fixed density, each convolved with a channel's kernel (a Gaussian
envelope, longer along one direction than across it, times a cosine along it). A few channels
with their own orientation and frequency make the fine, slightly streaky pattern of skin; a
channel of plain wide Gaussian blobs makes the mottling. Impulses are drawn once per subject in
cm, so a subject keeps its pattern in either framing and at either resolution; the kernels are
built per frame in pixels, and the sum is normalised by its expected variance (std about 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._d_body import ViewD

__all__ = ["GaborChannel", "draw_channels", "gabor_noise"]

F32 = npt.NDArray[np.float32]
_X0, _X1, _Y0, _Y1 = -48.0, 48.0, -40.0, 72.0  # body-frame domain of the impulses, cm


@dataclass(frozen=True)
class GaborChannel:
    """Kernel orientation (radians), frequency (cycles/cm), envelope (cm), impulses (x, y, w)."""

    theta: float
    freq: float
    sigma_along: float
    sigma_across: float
    phase: float
    density: float  # impulses per cm²
    impulses: npt.NDArray[np.float32]  # (n, 3): x cm, y cm, weight ±1


def _channel(
    rng: np.random.Generator,
    freq: float,
    along: float,
    across: float,
    density: float,
) -> GaborChannel:
    n = int(rng.poisson(density * (_X1 - _X0) * (_Y1 - _Y0)))
    imp = np.empty((n, 3), np.float32)
    imp[:, 0] = rng.uniform(_X0, _X1, n)
    imp[:, 1] = rng.uniform(_Y0, _Y1, n)
    imp[:, 2] = rng.choice([-1.0, 1.0], n)
    return GaborChannel(
        theta=float(rng.uniform(0.0, math.pi)),
        freq=freq,
        sigma_along=along,
        sigma_across=across,
        phase=float(rng.uniform(0.0, 2.0 * math.pi)),
        density=density,
        impulses=imp,
    )


def draw_channels(rng: np.random.Generator) -> tuple[tuple[GaborChannel, ...], GaborChannel]:
    """(fine streaky channels, the mottling channel) of one subject."""
    fine = tuple(
        _channel(
            rng,
            float(rng.uniform(0.25, 0.7)),
            float(rng.uniform(0.7, 1.4)),
            float(rng.uniform(0.3, 0.55)),
            0.5,
        )
        for _ in range(int(rng.integers(2, 5)))
    )
    spread = float(rng.uniform(1.5, 3.0))
    blotch = _channel(rng, 0.0, spread, spread * float(rng.uniform(0.6, 1.0)), 0.06)
    return fine, blotch


def _kernel(ch: GaborChannel, roll: float, s: float) -> F32:
    along, across = ch.sigma_along / s, ch.sigma_across / s
    half = math.ceil(3.0 * max(along, across))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    angle = ch.theta - roll  # the body frame turns by -roll in the image
    c, sn = math.cos(angle), math.sin(angle)
    u = xx * c + yy * sn
    v = -xx * sn + yy * c
    env = np.exp(-0.5 * ((u / along) ** 2 + (v / across) ** 2))
    wave = np.cos(2.0 * math.pi * ch.freq * s * u + ch.phase) if ch.freq > 0 else 1.0
    return (env * wave).astype(np.float32)


def gabor_noise(channels: tuple[GaborChannel, ...], view: ViewD, h: int, w: int) -> F32:
    """Sum of the channels' Gabor noise in one frame, std about 1."""
    s = view.width_cm / w
    c, sn = math.cos(view.roll), math.sin(view.roll)
    out = np.zeros((h, w), np.float32)
    for ch in channels:
        # A wave finer than about 2.5 px is averaged away by the pixel, not aliased.
        seen = 1.0 if ch.freq == 0 else min(1.0, max(0.0, (0.4 - ch.freq * s) / 0.15))
        if seen <= 0.0:
            continue
        kernel = _kernel(ch, view.roll, s)
        pad = kernel.shape[0] // 2
        dx = ch.impulses[:, 0] - view.cx
        dy = ch.impulses[:, 1] - view.cy
        col = np.rint((c * dx + sn * dy) / s + (w - 1) / 2.0).astype(np.int64) + pad
        row = np.rint((-sn * dx + c * dy) / s + (h - 1) / 2.0).astype(np.int64) + pad
        keep = (col >= 0) & (col < w + 2 * pad) & (row >= 0) & (row < h + 2 * pad)
        canvas = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
        np.add.at(canvas, (row[keep], col[keep]), ch.impulses[keep, 2])
        field = cv2.filter2D(canvas, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        variance = ch.density * s * s * float((kernel.astype(np.float64) ** 2).sum())
        out += np.float32(seen / math.sqrt(max(variance, 1e-9))) * field[pad:-pad, pad:-pad]
    return (out / np.float32(math.sqrt(len(channels)))).astype(np.float32)
