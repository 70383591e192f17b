"""Family "c" skin detail from lattice gradient noise (helper of :mod:`.family_c`).

Noise is evaluated at each pixel's body point (cm), so a subject keeps its skin pattern in
either framing and at either resolution. Random gradients on a lattice over a fixed body-frame
domain are blended with a quintic fade (Perlin-style gradient noise); octaves add up to fractal
Brownian motion (texture, mottling); vessels are *ridges*: thin warm lines along the zero set of
a domain-warped noise, so they curve, fork and close the way superficial veins do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["Lattice", "fbm", "ridges"]

F32 = npt.NDArray[np.float32]
_X0, _Y0 = -70.0, -60.0  # corner of the body-frame square every frame lies in (cm)
_GAIN = 1.87  # scales one octave to a std of about 0.4


class Lattice:
    """Random gradient lattices drawn once per subject; ``noise`` samples one at any cell size.

    Gradient (Perlin-style) noise: each lattice point holds a random unit gradient, a point's
    value blends the four corners' ``gradient . offset`` with a quintic fade. It is zero on the
    lattice and has no flat plateaus there, so it shows no grid of blocks.
    """

    def __init__(self, key: Sequence[int], cells: int = 256) -> None:
        # 256 cells: even the finest octave (0.225 cm) repeats only every 58 cm.
        self._key = list(key)
        self._cells = cells
        self._tables: dict[int, tuple[F32, F32]] = {}

    def _table(self, k: int) -> tuple[F32, F32]:
        """Lattice ``k``'s gradients, drawn on first use from the subject's key and ``k``."""
        if k not in self._tables:
            rng = np.random.default_rng([*self._key, k])
            angle = rng.random((self._cells, self._cells), dtype=np.float32)
            angle *= np.float32(2.0 * np.pi)
            # One wrapped row and column more, so a cell's far corners need no modulo.
            self._tables[k] = (
                np.pad(np.cos(angle), ((0, 1), (0, 1)), mode="wrap").ravel(),
                np.pad(np.sin(angle), ((0, 1), (0, 1)), mode="wrap").ravel(),
            )
        return self._tables[k]

    def noise(self, k: int, x: F32, y: F32, cell_cm: float) -> F32:
        """Gradient noise, std about 0.4, from lattice ``k`` with cells ``cell_cm`` wide."""
        gxs, gys = self._table(k)
        n = self._cells
        inv = np.float32(1.0 / cell_cm)
        px = (x - np.float32(_X0)) * inv
        py = (y - np.float32(_Y0)) * inv
        ix, iy = np.floor(px), np.floor(py)
        fx, fy = px - ix, py - iy
        corner = (iy.astype(np.int32) % n) * (n + 1) + ix.astype(np.int32) % n
        one = np.float32(1.0)

        def dot(offset: int, dx: F32, dy: F32) -> F32:
            at = corner + offset
            return gxs[at] * dx + gys[at] * dy

        top = dot(0, fx, fy)
        top_r = dot(1, fx - one, fy)
        bottom = dot(n + 1, fx, fy - one)
        bottom_r = dot(n + 2, fx - one, fy - one)
        ux = fx * fx * fx * (fx * (fx * np.float32(6.0) - np.float32(15.0)) + np.float32(10.0))
        uy = fy * fy * fy * (fy * (fy * np.float32(6.0) - np.float32(15.0)) + np.float32(10.0))
        top += (top_r - top) * ux
        bottom += (bottom_r - bottom) * ux
        return (np.float32(_GAIN) * (top + (bottom - top) * uy)).astype(np.float32, copy=False)


def fbm(
    lattice: Lattice,
    k: int,
    x: F32,
    y: F32,
    cell_cm: float,
    octaves: int,
    gain: float,
    cm_per_px: float,
) -> F32:
    """Fractal sum of ``octaves`` gradient noises (cells halving, amplitude times ``gain``), std ~1.

    Octaves finer than about two pixels fade out: a pixel averages the skin it sees, so a coarse
    frame shows smoother skin rather than aliased salt noise.
    """
    out = np.zeros(x.shape, np.float32)
    amp, cell, norm = 1.0, cell_cm, 0.0
    for octave in range(octaves):
        seen = min(max((cell / cm_per_px - 1.5) / 1.5, 0.0), 1.0)
        if seen > 0.0:
            out += np.float32(amp * seen) * lattice.noise(k + octave, x, y, cell)
        norm += amp * amp
        amp *= gain
        cell *= 0.5
    return (out / np.float32(0.4 * np.sqrt(norm))).astype(np.float32)  # one octave: std ~0.4


def ridges(
    lattice: Lattice, k: int, x: F32, y: F32, cell_cm: float, width: float, cm_per_px: float
) -> F32:
    """0..1 warm lines along the zero set of a warped noise; ``width`` ~ line half-width, cm.

    The line profile is widened to at least a pixel so coarse frames do not alias it away.
    """
    warp = 0.35 * cell_cm
    wx = x + np.float32(warp) * lattice.noise(k, x, y, 1.7 * cell_cm)
    wy = y + np.float32(warp) * lattice.noise(k + 1, x, y, 1.7 * cell_cm)
    n = lattice.noise(k + 2, wx, wy, cell_cm) + 0.35 * lattice.noise(k + 3, wx, wy, 0.5 * cell_cm)
    # |n| grows by about 1.9 / cell per cm away from the zero set.
    half = max(width, 0.6 * cm_per_px) * 1.9 / cell_cm
    line = np.exp(-((n / np.float32(half)) ** 2))
    thin = width / max(width, 0.6 * cm_per_px)  # a line thinner than a pixel looks fainter
    return (line * np.float32(thin)).astype(np.float32)
