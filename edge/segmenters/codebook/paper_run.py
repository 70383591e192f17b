"""The ``paper`` variant: section 6.1's twelve steps, run in order, every output kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from edge.segmenters.codebook.edgeflow import (
    close_boundaries,
    edge_flow_boundaries,
    edge_flow_field,
    final_merge,
    propagate_edge_flow,
    split_regions,
)
from edge.segmenters.codebook.lbg import Codebook, blocks
from edge.segmenters.codebook.paper import (
    SuperVoxelGrid,
    block_code_vectors,
    check_input,
    cluster_image,
    grow_from_seeds,
    lbg_codebook,
    name_codes,
    sigma_seeds,
    supervoxel_grid,
)

if TYPE_CHECKING:
    from edge.segmenters.codebook.segmenter import CodebookConfig

__all__ = ["PaperSteps", "run_paper"]

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class PaperSteps:
    """The output of every step of one run of the ``paper`` variant."""

    image: U8  # 1: input
    tiles: U8  # 2: blocks (n, b, b, 3)
    grid: SuperVoxelGrid  # 3: super-voxel positions
    code_positions: npt.NDArray[np.intp]  # 4: where each block's code vector came from
    code_vectors: U8  # 4: (n, 3) block code vectors
    codebook: Codebook  # 5: final LBG codebook
    seeds: npt.NDArray[np.intp]  # 6: one seed per block (y, x)
    seed_classes: U8  # 6: cluster of each seed (NONE: block without a seed)
    code_names: U8  # 7: cluster name of each final code
    code_map: U8  # 7: name of each pixel's nearest code
    grown: U8  # 8: grown cluster labels
    regions: npt.NDArray[np.int32]  # 9: connected regions of each grown cluster
    region_class: U8  # 9: cluster of each region
    raw_boundaries: U8  # 10: edge-flow boundaries
    boundaries: U8  # 11-12: connected boundaries
    rounds: int  # 12: connection rounds run
    labels: U8  # 12: final three-cluster label image


def run_paper(image: object, cfg: CodebookConfig) -> PaperSteps:
    """Run steps 1-12 on ``image``; the final labels are ``PaperSteps.labels``."""
    img = check_input(image)  # 1
    boxes = (cfg.red, cfg.green, cfg.blue)
    tiles = blocks(img, cfg.block_size)  # 2
    grid = supervoxel_grid(img.shape[:2], cfg.block_size)  # 3
    positions, vectors = block_code_vectors(img, cfg.block_size)  # 4
    book = lbg_codebook(img, vectors, cfg.final_codes, cfg.lbg_iterations, cfg.histogram_bits)  # 5
    seeds, seed_classes = sigma_seeds(img, cfg.block_size, boxes)  # 6
    names = name_codes(book.codes, boxes)  # 7
    code_map = cluster_image(img, book, names)
    grown = grow_from_seeds(img, seeds, seed_classes, code_map, boxes)  # 8
    regions, region_class = split_regions(grown)  # 9
    fy, fx = edge_flow_field(img, cfg.edge_flow_sigma)  # 10
    fy, fx = propagate_edge_flow(fy, fx, cfg.edge_flow_iterations)
    raw = edge_flow_boundaries(fy, fx, cfg.edge_flow_threshold)
    closed, rounds = close_boundaries(raw, cfg.connect_radius, cfg.connect_rounds)  # 11-12
    labels = final_merge(  # 12
        grown,
        img,
        closed,
        gap=cfg.merge_gap_px,
        colour_distance=cfg.merge_colour_distance,
        min_area=cfg.min_region_area,
    )
    return PaperSteps(
        img, tiles, grid, positions, vectors, book, seeds, seed_classes, names, code_map,
        grown, regions, region_class, raw, closed, rounds, labels,
    )  # fmt: skip
