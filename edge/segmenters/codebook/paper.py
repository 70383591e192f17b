"""Steps 1-9 of the ``paper`` variant: blocks, super-voxels, code vectors, LBG, Sigma, growth.

One public function per numbered step of section 6.1, run in order by
:func:`edge.segmenters.codebook.paper_run.run_paper`. The paper's text is not in this
repository; the sentences quoted below are the ones the project's issue 15 quotes from it
("Block size / Number of blocks", "three clusters"). Where a step is terse, the reading we
chose is stated beside the function; ``docs/decisions/codebook-paper-variant.md`` lists them
all. Steps 10-12 (edge flow, boundary connection, final merge) are in
:mod:`edge.segmenters.codebook.edgeflow`.

Cluster labels are uint8 (H, W): :data:`NONE` 0, :data:`BLUE` 1, :data:`GREEN` 2, :data:`RED` 3
(cool to warm, as the paper's three clusters).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.errors import FrameError
from edge.segmenters.codebook.lbg import Codebook, blocks, colour_histogram, lbg
from edge.segmenters.codebook.regions import RGBBox

__all__ = [
    "BLUE",
    "GREEN",
    "NONE",
    "RED",
    "SuperVoxelGrid",
    "block_code_vectors",
    "check_input",
    "cluster_image",
    "grow_from_seeds",
    "lbg_codebook",
    "name_codes",
    "pairwise_highest",
    "sigma_seeds",
    "supervoxel_grid",
]

log = logging.getLogger(__name__)

NONE, BLUE, GREEN, RED = 0, 1, 2, 3
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


def check_input(image: object) -> U8:
    """Step 1: the input, a pseudo-colour RGB uint8 (S, S, 3) image; anything else raises."""
    if (
        not isinstance(image, np.ndarray)
        or image.dtype != np.uint8
        or image.ndim != 3
        or image.shape[2] != 3
    ):
        raise FrameError(
            "codebook segmenter: expected RGB uint8 (S, S, 3), got "
            f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}"
        )
    return np.ascontiguousarray(image)


@dataclass(frozen=True)
class SuperVoxelGrid:
    """Step 3's super-voxel layout: one super-voxel per block."""

    block_size: int
    """Side of a block in pixels."""
    n_blocks: int
    """Number of blocks (super-voxels)."""
    centres: npt.NDArray[np.intp]
    """(n_blocks, 2) ``(y, x)`` centre of each block, row-major."""


def supervoxel_grid(shape: tuple[int, int], block_size: int) -> SuperVoxelGrid:
    """Step 3: super-voxel positions from "Block size / Number of blocks".

    Reading: the super-voxel interval is the block side S = sqrt(N / K) for N pixels and K
    blocks (the SLIC convention), so fixing the block size fixes K = N / S²; each super-voxel
    sits at its block's centre. Step 2 (the blocks themselves) is
    :func:`edge.segmenters.codebook.lbg.blocks`.
    """
    h, w = shape
    if block_size < 1 or h % block_size or w % block_size:
        raise FrameError(
            f"codebook segmenter: image {w}x{h} is not divisible into {block_size}x{block_size} "
            "blocks; expected sides that are multiples of codebook.block_size"
        )
    by, bx = h // block_size, w // block_size
    yy, xx = np.meshgrid(np.arange(by), np.arange(bx), indexing="ij")
    centres = np.stack([yy.ravel(), xx.ravel()], axis=1) * block_size + block_size // 2
    return SuperVoxelGrid(block_size, by * bx, centres.astype(np.intp))


def pairwise_highest(values: I64, axis: int) -> npt.NDArray[np.intp]:
    """Index along ``axis`` of the winner of pairwise "highest intensity" comparisons.

    Neighbours are compared in pairs (0 vs 1, 2 vs 3, ...), the higher one goes on (the first
    on a tie), and the rounds repeat until one remains: a knock-out tournament. Its winner is
    the first maximum along the axis.
    """
    v = np.moveaxis(values, axis, -1)
    idx = np.broadcast_to(np.arange(v.shape[-1]), v.shape).copy()
    while v.shape[-1] > 1:
        if v.shape[-1] % 2:  # an odd one out goes through to the next round
            v = np.concatenate([v, v[..., -1:] - 1], axis=-1)
            idx = np.concatenate([idx, idx[..., -1:]], axis=-1)
        left, right = v[..., 0::2], v[..., 1::2]
        take_left = left >= right
        v = np.where(take_left, left, right)
        idx = np.where(take_left, idx[..., 0::2], idx[..., 1::2])
    return np.asarray(idx[..., 0], dtype=np.intp)


def block_code_vectors(image: U8, block_size: int) -> tuple[npt.NDArray[np.intp], U8]:
    """Step 4: each block's code vector from pairwise highest-intensity comparisons.

    Reading: intensity is R + G + B (the HSI intensity up to a factor 3); in every row of a
    block the pixels are compared pairwise and the highest goes on (row-wise), then the rows'
    winners are compared pairwise (column-wise); the block's code vector is the RGB colour of
    the final winner. Returns ``(positions, code_vectors)``: (n, 2) ``(y, x)`` and (n, 3) uint8.
    """
    tiles = blocks(image, block_size)  # step 2
    n, b = tiles.shape[0], block_size
    intensity = tiles.astype(np.int64).sum(axis=3)  # (n, b, b)
    col_in_row = pairwise_highest(intensity, axis=2)  # (n, b): row-wise winners
    row_best = np.take_along_axis(intensity, col_in_row[..., None], axis=2)[..., 0]
    row = pairwise_highest(row_best, axis=1)  # (n,): column-wise over the row winners
    col = col_in_row[np.arange(n), row]
    bx = image.shape[1] // b
    ys = (np.arange(n) // bx) * b + row
    xs = (np.arange(n) % bx) * b + col
    return np.stack([ys, xs], axis=1).astype(np.intp), np.ascontiguousarray(
        tiles[np.arange(n), row, col]
    )


def lbg_codebook(
    image: U8, code_vectors: U8, final_codes: int = 3, iterations: int = 10, bits: int = 4
) -> Codebook:
    """Step 5: the LBG codebook, the block code vectors refined and reduced to ``final_codes``.

    The block code vectors are the initial codebook; LBG (Lloyd iterations over the image's
    colours, a colour histogram of ``bits`` per channel, then hierarchical reduction as in
    :func:`edge.segmenters.codebook.lbg.lbg`) reduces it to the final three codes.
    """
    hist = colour_histogram(image, bits)
    return lbg(
        hist.centres,
        code_vectors.astype(np.float32),
        weights=hist.counts,
        final_codes=final_codes,
        iterations=iterations,
        level_iterations=1,
    )


def name_codes(codes: npt.NDArray[np.floating], boxes: Sequence[RGBBox]) -> U8:
    """Step 7: name each final code by the RGB box (``red, green, blue``) that contains it.

    Reading: a code inside a box takes that box's cluster (red first where boxes overlap); a
    code inside none is :data:`NONE` rather than forced to the nearest colour, so a normal image
    has no red code. Returns (K,) uint8 of :data:`RED` / :data:`GREEN` / :data:`BLUE` / :data:`NONE`.
    """
    c = np.asarray(codes, dtype=np.float32).reshape(-1, 3)
    names = np.zeros(len(c), dtype=np.uint8)
    for box, name in zip(reversed(boxes), (BLUE, GREEN, RED), strict=True):
        inside = ((c >= box.low) & (c <= box.high)).all(axis=1)
        names[inside] = name
    return names


def sigma_seeds(
    image: U8, block_size: int, boxes: Sequence[RGBBox]
) -> tuple[npt.NDArray[np.intp], U8]:
    """Step 6: Sigma enables or disables each threshold condition per pixel; one seed per block.

    Reading: σ_c(p) is 1 (enabled) where pixel p satisfies the RGB box of cluster c
    (``boxes`` = red, green, blue) and 0 (disabled) elsewhere. A block's seed is the pixel whose
    warmest enabled condition is warmest (red over green over blue), ties going to the highest
    intensity R + G + B, then to the first pixel row-major (step 4's comparison rule). A block
    where every condition is disabled has no seed. Returns ``(positions, classes)``: (n, 2)
    ``(y, x)`` and (n,) uint8 cluster of each block's seed (:data:`NONE` when none).
    """
    tiles = blocks(image, block_size)
    n, b = tiles.shape[0], block_size
    flat = tiles.reshape(n, b * b, 3)
    cls = np.zeros((n, b * b), dtype=np.int64)
    for box, name in zip(reversed(boxes), (BLUE, GREEN, RED), strict=True):
        sigma = ((flat >= box.low) & (flat <= box.high)).all(axis=2)
        cls[sigma] = name
    score = cls * 1024 + flat.astype(np.int64).sum(axis=2)
    best = pairwise_highest(score, axis=1)
    classes = cls[np.arange(n), best].astype(np.uint8)
    bx = image.shape[1] // b
    ys = (np.arange(n) // bx) * b + best // b
    xs = (np.arange(n) % bx) * b + best % b
    return np.stack([ys, xs], axis=1).astype(np.intp), classes


def grow_from_seeds(
    image: U8,
    seeds: npt.NDArray[np.intp],
    seed_classes: U8,
    code_map: U8,
    boxes: Sequence[RGBBox],
) -> U8:
    """Step 8: region growing from the seeds; returns the grown cluster labels (H, W) uint8.

    Reading: a seed of cluster c grows through 8-connected pixels that either satisfy c's RGB
    box or lie in c's LBG cluster (``code_map``: the name of each pixel's nearest code). Where
    regions of different clusters overlap the warmer wins.
    """
    out = np.zeros(image.shape[:2], dtype=np.uint8)
    for box, name in zip(reversed(boxes), (BLUE, GREEN, RED), strict=True):
        mine = seed_classes == name
        if not mine.any():
            continue
        allowed = (cv2.inRange(image, box.low, box.high) > 0) | (code_map == name)
        _, comp = cv2.connectedComponents(allowed.astype(np.uint8), connectivity=8)
        ys, xs = seeds[mine, 0], seeds[mine, 1]
        hit = np.unique(comp[ys, xs][allowed[ys, xs]])
        out[np.isin(comp, hit[hit > 0])] = name
    return out


def cluster_image(image: U8, codebook: Codebook, names: U8) -> U8:
    """Step 7's pixel map: every pixel takes the name of its nearest final code (H, W) uint8."""
    return np.asarray(names[codebook.assign(image)], dtype=np.uint8)
