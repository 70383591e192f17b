"""Codebook construction for the region-based segmenter: blocks, seeds, hierarchical LBG.

Used by both variants of :mod:`edge.segmenters.codebook.segmenter`; the step numbers in the
docstrings here are the ``tuned`` variant's own, not the paper's. Everything works on small arrays: the image is
reduced to a colour histogram once, so LBG iterates over the few hundred occupied colour bins of
a pseudo-colour image instead of its 16,384 pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

from edge.errors import ConfigError, FrameError

__all__ = [
    "Codebook",
    "ColourHistogram",
    "blocks",
    "colour_histogram",
    "initial_codebook",
    "lbg",
    "supervoxel_seeds",
]

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]


def _check_rgb(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3:
        raise FrameError(
            f"codebook segmenter: image must be RGB uint8 (H, W, 3), got "
            f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}"
        )
    if image.shape[2] != 3:
        raise FrameError(f"codebook segmenter: image must have 3 channels, got shape {image.shape}")


def blocks(image: npt.NDArray[np.uint8], block: int = 32) -> npt.NDArray[np.uint8]:
    """Step 2: the image as non-overlapping ``block`` × ``block`` tiles, row-major.

    Returns a view of shape (n_blocks, block, block, 3); a 128×128 image with ``block=32`` gives
    16 tiles. Raises :class:`FrameError` when the side is not a multiple of ``block``.
    """
    _check_rgb(image)
    h, w = image.shape[:2]
    if block < 1 or h % block or w % block:
        raise FrameError(
            f"codebook segmenter: image {w}x{h} is not divisible into {block}x{block} blocks "
            "(set block_size to a divisor of the model input size)"
        )
    by, bx = h // block, w // block
    tiles = image.reshape(by, block, bx, block, 3).swapaxes(1, 2)
    return tiles.reshape(by * bx, block, block, 3)


def supervoxel_seeds(
    image: npt.NDArray[np.uint8], block: int = 32
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
    """Step 3: one seed per block, the pixel whose colour is nearest the block's mean colour.

    Nearest in the luma-weighted L1 colour distance, rounded to whole grey levels.

    Each block is treated as a super-voxel in (x, y, R, G, B); its seed is a colour that really
    occurs in it (a mean of half red, half blue would be a purple that exists nowhere).
    Returns ``(positions, colours)``: (n_blocks, 2) ``(y, x)`` image coordinates and
    (n_blocks, 3) uint8 RGB. Ties go to the first pixel in row-major order.
    """
    tiles = blocks(image, block)
    n = tiles.shape[0]
    h, w = image.shape[:2]
    by, bx = h // block, w // block
    # Block means by area resize (exact tile averages), painted back over each tile; the colour
    # distance is the luma-weighted L1 distance |ΔR|·.299 + |ΔG|·.587 + |ΔB|·.114, all OpenCV
    # (numpy reductions over the channel axis cost 10-50× more here).
    means = cv2.resize(image, (bx, by), interpolation=cv2.INTER_AREA)
    painted = cv2.resize(means, (w, h), interpolation=cv2.INTER_NEAREST)
    dist = cv2.cvtColor(cv2.absdiff(image, painted), cv2.COLOR_RGB2GRAY)
    per_block = dist.reshape(by, block, bx, block).swapaxes(1, 2).reshape(n, block * block)
    idx = per_block.argmin(axis=1)
    colours = tiles.reshape(n, block * block, 3)[np.arange(n), idx]
    ys = (np.arange(n) // bx) * block + idx // block
    xs = (np.arange(n) % bx) * block + idx % block
    return np.stack([ys, xs], axis=1).astype(np.intp), np.ascontiguousarray(colours)


def initial_codebook(image: npt.NDArray[np.uint8], block: int = 32, codes: int = 16) -> F32:
    """Step 4: the initial codebook, ``codes`` seed colours as float32 (codes, 3).

    With 16 blocks and 16 codes every block contributes its seed. With more blocks than codes,
    evenly spaced blocks (row-major) contribute; fewer blocks than codes is a
    :class:`ConfigError`.
    """
    _, colours = supervoxel_seeds(image, block)
    n = colours.shape[0]
    if codes > n:
        raise ConfigError(
            f"codebook.initial_codes = {codes} but the image has only {n} blocks of "
            f"{block}x{block}; expected initial_codes <= {n}"
        )
    pick = np.linspace(0, n - 1, codes).round().astype(np.intp)
    return colours[pick].astype(np.float32)


@cache
def _bin_centres(bits: int) -> F32:
    levels = 1 << bits
    step = 256 // levels
    centre = np.arange(levels, dtype=np.float32) * step + (step - 1) / 2.0
    r, g, b = np.meshgrid(centre, centre, centre, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1).astype(np.float32)


@cache
def _pack_luts(bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = np.arange(256, dtype=np.int32) >> (8 - bits)
    return q << (2 * bits), q << bits, q


def _pack(image: npt.NDArray[np.uint8], bits: int) -> npt.NDArray[np.int32]:
    # Per-channel lookup tables give each channel's shifted share of the bin number in one
    # cv2.LUT call per plane; far cheaper than shifting strided int32 views.
    lr, lg, lb = _pack_luts(bits)
    r, g, b = cv2.split(image)
    packed = np.asarray(cv2.LUT(r, lr), dtype=np.int32)
    packed |= np.asarray(cv2.LUT(g, lg), dtype=np.int32)
    packed |= np.asarray(cv2.LUT(b, lb), dtype=np.int32)
    return packed


@dataclass(frozen=True)
class ColourHistogram:
    """An image's occupied colour bins (see :func:`colour_histogram`)."""

    centres: F32
    """(B, 3) float32 RGB centre of each occupied bin."""
    counts: F32
    """(B,) pixels in each occupied bin."""
    bins: npt.NDArray[np.intp]
    """(B,) flat bin number of each occupied bin (0 .. 2**(3*bits) - 1)."""
    index: npt.NDArray[np.int32]
    """(H, W) flat bin number of every pixel."""


def colour_histogram(image: npt.NDArray[np.uint8], bits: int = 4) -> ColourHistogram:
    """The image's occupied colour bins, each channel quantised to ``bits`` bits.

    4 bits gives 16 levels per channel (bin centres within 8 grey levels of every member), so
    LBG runs over at most a few hundred bins of a pseudo-colour image instead of its pixels.
    """
    _check_rgb(image)
    if not 1 <= bits <= 6:
        raise ConfigError(f"codebook.histogram_bits = {bits}; expected 1..6")
    index = _pack(image, bits)
    counts = np.bincount(index.ravel(), minlength=1 << (3 * bits))
    occupied = np.flatnonzero(counts)
    return ColourHistogram(
        centres=_bin_centres(bits)[occupied],
        counts=counts[occupied].astype(np.float32),
        bins=occupied,
        index=index,
    )


@dataclass(frozen=True)
class Codebook:
    """The result of :func:`lbg`: code vectors, their populations and the final distortion."""

    codes: F32
    """(K, 3) float32 code vectors (RGB), K ≤ the requested number of final codes."""
    counts: F32
    """(K,) total sample weight assigned to each code."""
    distortion: float
    """Weighted mean squared distance of the samples to their nearest code."""
    iterations: int
    """Lloyd iterations run in total, over all levels."""

    def assign(
        self, samples: npt.NDArray[np.floating] | npt.NDArray[np.uint8]
    ) -> npt.NDArray[np.intp]:
        """Index of the nearest code for each (…, 3) sample."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1, 3)
        return _nearest(x, self.codes)[0].reshape(np.asarray(samples).shape[:-1])


def _nearest(x: F32, codes: F32) -> tuple[npt.NDArray[np.intp], F32]:
    # ||x - c||² = ||x||² - 2 x·c + ||c||²: one small matmul instead of an (N, K, 3) tensor.
    d = (x * x).sum(axis=1, keepdims=True) - 2.0 * (x @ codes.T) + (codes * codes).sum(axis=1)
    a = d.argmin(axis=1)
    return a, np.maximum(d[np.arange(len(x)), a], 0.0)


@dataclass
class _Samples:
    """Samples with the products every Lloyd iteration needs, computed once."""

    x: F32
    w: F32
    wx: F32
    xx: F32
    wsum: float

    @classmethod
    def of(cls, x: F32, w: F32) -> _Samples:
        return cls(x, w, w[:, None] * x, (x * x).sum(axis=1, keepdims=True), float(w.sum()))


def _lloyd(s: _Samples, codes: F32, iterations: int, epsilon: float) -> tuple[F32, F32, float, int]:
    """LBG/Lloyd refinement: assign, re-centre, stop when distortion improves < epsilon."""
    prev = np.inf
    dist = 0.0
    counts = np.zeros(len(codes), dtype=np.float32)
    done = 0
    # Few, small array operations per iteration: the samples are histogram bins (tens to
    # hundreds) and the codes at most 16, so call overhead, not arithmetic, is the cost.
    for _ in range(iterations):
        d = s.xx - 2.0 * (s.x @ codes.T) + (codes * codes).sum(axis=1)
        a = d.argmin(axis=1)
        onehot = (a[:, None] == np.arange(len(codes))).astype(np.float32)
        counts = s.w @ onehot
        dist = max(float(s.w @ d.min(axis=1)), 0.0) / s.wsum
        sums = onehot.T @ s.wx
        keep = counts > 0
        if not keep.all():
            sums, counts = sums[keep], counts[keep]
        codes = sums / counts[:, None]
        done += 1
        if prev - dist <= epsilon * max(dist, 1e-12):
            break
        prev = dist
    return codes, counts, dist, done


def _merge_closest(codes: F32, counts: F32) -> tuple[F32, F32]:
    """Merge the pair with the least Ward cost n_i n_j / (n_i + n_j) · ||c_i - c_j||²."""
    diff = codes[:, None, :] - codes[None, :, :]
    n = counts[:, None] * counts[None, :] / (counts[:, None] + counts[None, :])
    cost = n * (diff * diff).sum(axis=2)
    np.fill_diagonal(cost, np.inf)
    i, j = divmod(int(cost.argmin()), len(codes))
    total = counts[i] + counts[j]
    merged = (codes[i] * counts[i] + codes[j] * counts[j]) / total
    keep = np.ones(len(codes), dtype=bool)
    keep[j] = False
    codes = codes.copy()
    counts = counts.copy()
    codes[i], counts[i] = merged, total
    return codes[keep], counts[keep]


def lbg(
    samples: npt.NDArray[np.floating] | npt.NDArray[np.uint8],
    initial: npt.NDArray[np.floating] | npt.NDArray[np.uint8],
    *,
    weights: npt.NDArray[np.floating] | None = None,
    final_codes: int = 3,
    iterations: int = 10,
    level_iterations: int = 0,
    epsilon: float = 1e-3,
) -> Codebook:
    """Step 5: hierarchical LBG from ``initial`` codes down to ``final_codes``.

    LBG (Linde-Buzo-Gray) refines the initial codebook with Lloyd iterations, then reduces it
    hierarchically: merge the two codes whose union raises the distortion least (Ward cost),
    refine with ``level_iterations`` Lloyd iterations (0: merge only), and repeat until
    ``final_codes`` remain;
    the final codebook gets up to ``iterations`` iterations. A level stops early when the
    distortion improves by less than ``epsilon`` (relative). Codes that attract no sample are
    dropped, so fewer than ``final_codes`` come back when the samples have fewer colours.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1, 3)
    codes = np.asarray(initial, dtype=np.float32).reshape(-1, 3)
    if len(x) == 0 or len(codes) == 0:
        raise FrameError(f"lbg: needs samples and initial codes, got {len(x)} and {len(codes)}")
    if final_codes < 1:
        raise ConfigError(f"codebook.final_codes = {final_codes}; expected >= 1")
    w = np.ones(len(x), np.float32) if weights is None else np.asarray(weights, np.float32).ravel()
    if w.shape[0] != x.shape[0]:
        raise FrameError(f"lbg: {w.shape[0]} weights for {x.shape[0]} samples; expected one each")
    smp = _Samples.of(x, w)
    # The first pass always runs (it gives the populations the merges weigh).
    first = iterations if len(codes) <= final_codes else max(level_iterations, 1)
    codes, counts, dist, total = _lloyd(smp, codes, first, epsilon)
    while len(codes) > final_codes:
        codes, counts = _merge_closest(codes, counts)
        its = iterations if len(codes) <= final_codes else level_iterations
        if its > 0:
            codes, counts, dist, done = _lloyd(smp, codes, its, epsilon)
            total += done
    return Codebook(codes=codes, counts=counts, distortion=dist, iterations=total)
