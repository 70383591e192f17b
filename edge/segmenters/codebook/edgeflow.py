"""Steps 10-12 of the ``paper`` variant: edge flow, boundary connection, final merge.

Edge flow follows W.-Y. Ma and B. S. Manjunath, "EdgeFlow: a technique for boundary detection
and image segmentation", IEEE Trans. Image Processing 9(8), 2000: at every pixel and direction
θ the edge energy E(s, θ) (the Gaussian derivative along θ) and the probabilities P(s, θ),
P(s, θ + π) of finding the nearest boundary in direction θ or opposite (from the prediction
errors at distance 4σ) give the flow; flow vectors propagate towards each other and boundaries
lie where two flows meet head-on. Colour images sum E and the prediction errors over R, G, B as
Ma & Manjunath do for multiple bands. Steps 11-12's readings are given beside each function.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import numpy.typing as npt

from edge.segmenters.codebook.regions import merge_regions

__all__ = [
    "close_boundaries",
    "connect_boundaries",
    "edge_flow_boundaries",
    "edge_flow_field",
    "final_merge",
    "propagate_edge_flow",
    "split_regions",
]

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
_THETAS = np.arange(8) * (np.pi / 4)
_STEPS = np.array([(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)])
_RING = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


def _shifted(img: F32, dy: float, dx: float) -> F32:
    """``img`` sampled at (y + dy, x + dx), bilinear, edges replicated."""
    m = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return np.asarray(
        cv2.warpAffine(
            img, m, (img.shape[1], img.shape[0]), flags=flags, borderMode=cv2.BORDER_REPLICATE
        ),
        dtype=np.float32,
    )


def edge_flow_field(image: U8, sigma: float = 1.0) -> tuple[F32, F32]:
    """Step 10a: the edge-flow vector (fy, fx) of every pixel, before propagation.

    For the 8 directions θ = kπ/4: E(s, θ) = Σ_channels |∂_θ (G_σ * I)| and
    Error(s, θ) = Σ_channels |I_σ(s + 4σ·θ) − I_σ(s)|, P(s, θ) = Error(s, θ) / (Error(s, θ) +
    Error(s, θ + π)). Θ(s) is the direction whose half-plane [Θ, Θ + π) holds the most P; the
    flow is F(s) = Σ_{Θ ≤ θ < Θ+π} E(s, θ) e^{iθ} (Ma & Manjunath, eq. 5-8).
    """
    img = image.astype(np.float32)
    smooth = np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), dtype=np.float32)
    gx = np.asarray(cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8.0, dtype=np.float32)
    gy = np.asarray(cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0, dtype=np.float32)
    h, w = image.shape[:2]
    energy = np.empty((8, h, w), np.float32)
    error = np.empty((8, h, w), np.float32)
    d = 4.0 * sigma
    for k, t in enumerate(_THETAS):
        energy[k] = np.abs(np.cos(t) * gx + np.sin(t) * gy).sum(axis=2)
        error[k] = np.abs(_shifted(smooth, d * np.sin(t), d * np.cos(t)) - smooth).sum(axis=2)
    prob = error / np.maximum(error + np.roll(error, -4, axis=0), 1e-6)
    half = sum(np.roll(prob, -j, axis=0) for j in range(4))  # half[k] = Σ P over [θ_k, θ_k + π)
    start = half.argmax(axis=0)
    fx = np.zeros((h, w), np.float32)
    fy = np.zeros((h, w), np.float32)
    for j in range(4):
        k = (start + j) % 8
        e = np.take_along_axis(energy, k[None], axis=0)[0]
        fx += e * np.cos(_THETAS[k]).astype(np.float32)
        fy += e * np.sin(_THETAS[k]).astype(np.float32)
    return fy, fx


def propagate_edge_flow(fy: F32, fx: F32, iterations: int = 20) -> tuple[F32, F32]:
    """Step 10b: propagate the flow until it stops (Ma & Manjunath, section III-B).

    Each pixel's flow moves to its neighbour in the flow's direction (quantised to 8) when that
    neighbour's flow points the same way (positive dot product) and adds to it; at most
    ``iterations`` rounds, fewer when nothing moves.
    """
    fy, fx = fy.copy(), fx.copy()
    h, w = fy.shape
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(iterations):
        mag = np.hypot(fx, fy)
        k = np.rint(np.arctan2(fy, fx) / (np.pi / 4)).astype(np.int64) % 8
        ty = np.clip(yy + _STEPS[k, 0], 0, h - 1)
        tx = np.clip(xx + _STEPS[k, 1], 0, w - 1)
        moves = (mag > 0) & ((ty != yy) | (tx != xx))
        moves &= fx * fx[ty, tx] + fy * fy[ty, tx] > 0
        if not moves.any():
            break
        nfy, nfx = np.where(moves, 0, fy), np.where(moves, 0, fx)
        np.add.at(nfy, (ty[moves], tx[moves]), fy[moves])
        np.add.at(nfx, (ty[moves], tx[moves]), fx[moves])
        fy, fx = nfy.astype(np.float32), nfx.astype(np.float32)
    return fy, fx


def edge_flow_boundaries(fy: F32, fx: F32, threshold: float = 40.0) -> U8:
    """Step 10c: boundaries where propagated flows meet head-on, 0/1 (H, W).

    Pixel s is a boundary when its flow points right (down) and its right (lower) neighbour's
    points left (up), and the two flows together carry at least ``threshold`` (grey levels per
    pixel, summed over channels; our choice, the paper gives no value).
    """
    out = np.zeros(fy.shape, dtype=np.uint8)
    mag = np.hypot(fx, fy)
    meet_x = (fx[:, :-1] > 0) & (fx[:, 1:] < 0) & (mag[:, :-1] + mag[:, 1:] >= threshold)
    meet_y = (fy[:-1] > 0) & (fy[1:] < 0) & (mag[:-1] + mag[1:] >= threshold)
    out[:, :-1] |= meet_x.astype(np.uint8)
    out[:-1] |= meet_y.astype(np.uint8)
    return out


def connect_boundaries(boundaries: U8, radius: int = 6) -> tuple[U8, int]:
    """Step 11: join each open boundary end to the nearest boundary element by a straight line.

    Reading: an end is a boundary pixel with at most one 8-neighbour on a boundary; it is joined
    to the nearest boundary pixel of *another* boundary component within ``radius`` pixels, by
    a straight (the smoothest) line. Returns ``(boundaries, joins made)``.
    """
    b = boundaries.astype(np.uint8).copy()
    n, comp = cv2.connectedComponents(b, connectivity=8)
    if n <= 2:
        return b, 0
    neighbours = cv2.filter2D(b, cv2.CV_16S, np.ones((3, 3), np.float32)) - b.astype(np.int16)
    ends = np.argwhere((b > 0) & (neighbours <= 1))
    pts = np.argwhere(b > 0)
    pcomp = comp[pts[:, 0], pts[:, 1]]
    joins = 0
    for y, x in ends:
        other = pcomp != comp[y, x]
        if not other.any():
            continue
        d2 = ((pts[other] - (y, x)) ** 2).sum(axis=1)
        i = int(d2.argmin())
        if d2[i] <= radius * radius:
            ty, tx = pts[other][i]
            cv2.line(b, (int(x), int(y)), (int(tx), int(ty)), 1, 1)
            joins += 1
    return b, joins


def close_boundaries(boundaries: U8, radius: int = 6, rounds: int = 10) -> tuple[U8, int]:
    """Step 12a: repeat step 11 "until all boundaries are connected".

    Reading: rounds continue until a round makes no join (every end is connected or has no
    other boundary within ``radius``), at most ``rounds`` times. Returns ``(boundaries, rounds
    run)``.
    """
    b = boundaries
    for done in range(1, rounds + 1):
        b, joins = connect_boundaries(b, radius)
        if joins == 0:
            return b, done
    return b, rounds


def split_regions(clusters: U8, boundaries: U8 | None = None) -> tuple[I32, U8]:
    """Step 9: split the grown clusters into regions (step 12 splits again at the boundaries).

    Reading: a region is an 8-connected part of one cluster, minus ``boundaries`` when given.
    Returns ``(regions, region_class)``: int32 (H, W) numbered 1..n and (n + 1,) uint8 cluster
    of each region (index 0 unused).
    """
    regions = np.zeros(clusters.shape, dtype=np.int32)
    classes = [0]
    free = clusters if boundaries is None else clusters * (1 - boundaries)
    for name in np.unique(free[free > 0]):
        n, comp = cv2.connectedComponents((free == name).astype(np.uint8), connectivity=8)
        regions[comp > 0] = comp[comp > 0] + len(classes) - 1
        classes += [int(name)] * (n - 1)
    return regions, np.asarray(classes, dtype=np.uint8)


def final_merge(
    clusters: U8,
    image: U8,
    boundaries: U8,
    *,
    gap: int = 2,
    colour_distance: float = 80.0,
    min_area: int = 4,
) -> U8:
    """Step 12b: the final merge; returns the three-cluster label image (H, W) uint8.

    Reading: the grown clusters are split again, now at the connected boundaries
    (:func:`split_regions`); boundary pixels of a cluster join that cluster's neighbouring region; regions of one
    cluster within ``gap`` pixels whose mean colours are within ``colour_distance`` merge
    (:func:`edge.segmenters.codebook.regions.merge_regions`), and merged regions under
    ``min_area`` pixels are dropped.
    """
    regions, region_class = split_regions(clusters, boundaries)
    out = np.zeros(regions.shape, dtype=np.uint8)
    for name in np.unique(region_class[1:]):
        mine = np.isin(regions, np.flatnonzero(region_class == name))
        labels = np.where(mine, regions, 0).astype(np.int32)
        kept = merge_regions(
            labels, image, gap=gap, colour_distance=colour_distance, min_area=min_area
        )
        cluster = (kept > 0).astype(np.uint8)
        ring = np.asarray(cv2.dilate(cluster, _RING), dtype=np.uint8)
        cluster |= ring & boundaries & (clusters == name)
        out[(cluster > 0) & (out < name)] = name
    return out
