"""The region-based (codebook) segmenter of section 6.1, in two named variants.

Kanimozhi et al., "Assessment of various segmentation approaches to poster breast cancer using
thermal images", section 6.1, describes a codebook of block code vectors reduced by LBG,
multispectral RGB thresholds, seeds, region growing and edge flow, with an output image in
"three clusters" (red, green, blue; the wording as quoted in the project's issue 15).

``variant="paper"`` runs the twelve numbered steps in order, as literally as the text allows
(:func:`edge.segmenters.codebook.paper_run.run_paper`; each step a public function in
:mod:`~edge.segmenters.codebook.paper` and :mod:`~edge.segmenters.codebook.edgeflow`, the reading
of each ambiguous step beside it and in ``docs/decisions/codebook-paper-variant.md``).

``variant="tuned"`` (the default) is our own variant, chosen by measurement on synthetic
phantoms (``docs/decisions/codebook-paper-variant.md``): the paper's red RGB box is the seed
set, only red inside the body counts, regions grow from the seeds through candidate pixels
(``grow_tolerance`` grey levels around the red box, in the red LBG cluster), Canny boundaries
stop growth where growth is possible, and near similar regions merge; regions under
``min_region_area`` px are dropped. With the default knobs no growth happens, so the LBG
codebook and the boundaries are not computed; :meth:`CodebookSegmenter.codebook` still gives
the codebook for inspection. Its step order is ours, not the paper's.

Both variants give a cluster label image (:meth:`CodebookSegmenter.segment_labels`: 0 none,
1 blue, 2 green, 3 red) whose red cluster is the abnormal mask (:meth:`segment`).

thermoseg is a screening aid: the mask marks warm regions for a clinician, it is no diagnosis.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.core.preprocess import PreprocessConfig
from edge.errors import FrameError
from edge.segmenters.base import Segmenter
from edge.segmenters.codebook.lbg import (
    Codebook,
    ColourHistogram,
    colour_histogram,
    initial_codebook,
    lbg,
)
from edge.segmenters.codebook.paper import BLUE, GREEN, RED
from edge.segmenters.codebook.paper_run import PaperSteps, run_paper
from edge.segmenters.codebook.regions import (
    RGBBox,
    body_mask,
    classify_rgb,
    edge_flow,
    grow_regions,
    label_codes,
    merge_regions,
)

__all__ = ["CodebookConfig", "CodebookSegmenter", "RGBBox"]

log = logging.getLogger(__name__)

_RED = RGBBox(r=(102, 255), g=(0, 200), b=(0, 103))
_GREEN = RGBBox(r=(0, 200), g=(193, 225), b=(0, 97))
_BLUE = RGBBox(r=(0, 207), g=(0, 150), b=(97, 220))
_RING = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


class CodebookConfig(BaseModel):
    """Knobs of the region-based codebook segmenter (RGB boxes: the paper's, as transcribed here)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["codebook"] = "codebook"
    variant: Literal["paper", "tuned"] = Field(
        "tuned",
        description="paper variant: section 6.1's steps in order; tuned: our measured default",
    )
    block_size: int = Field(32, ge=4, le=256, description="side of the square blocks (step 2)")
    initial_codes: int = Field(16, ge=1, le=256, description="code vectors in the initial codebook")
    final_codes: int = Field(3, ge=1, le=16, description="code vectors after LBG reduction")
    lbg_iterations: int = Field(10, ge=1, le=100, description="max Lloyd iterations, final level")
    lbg_level_iterations: int = Field(
        0,
        ge=0,
        le=100,
        description="max Lloyd iterations at each intermediate level (0: merge only)",
    )
    lbg_epsilon: float = Field(
        1e-3, ge=0.0, description="stop a level when distortion improves by less (relative)"
    )
    histogram_bits: int = Field(4, ge=1, le=6, description="bits per channel of the LBG histogram")
    red: RGBBox = Field(_RED, description="RGB box of the red (hot, abnormal) class")
    green: RGBBox = Field(_GREEN, description="RGB box of the green class")
    blue: RGBBox = Field(_BLUE, description="RGB box of the blue class")
    grow_tolerance: int = Field(
        0,
        ge=0,
        le=255,
        description="grey levels beyond the red box that red-cluster pixels may grow into",
    )
    seeds_in_red_cluster: bool = Field(
        False, description="seeds must also lie in the red cluster (nearest a code named red)"
    )
    use_edge_flow: bool = Field(True, description="stop region growth at edge-flow boundaries")
    edge_low: float = Field(60.0, ge=0.0, description="edge-flow (Canny) low gradient threshold")
    edge_high: float = Field(180.0, ge=0.0, description="edge-flow (Canny) high gradient threshold")
    edge_flow_sigma: float = Field(
        1.0, gt=0.0, le=8.0, description="paper variant: edge-flow scale σ (px)"
    )
    edge_flow_iterations: int = Field(
        20, ge=0, le=200, description="paper variant: max edge-flow propagation rounds"
    )
    edge_flow_threshold: float = Field(
        40.0,
        ge=0.0,
        description="paper variant: flow energy (grey levels, RGB summed) of a boundary",
    )
    connect_radius: int = Field(
        6,
        ge=0,
        le=64,
        description="paper variant: farthest boundary element an open end joins (px)",
    )
    connect_rounds: int = Field(
        10, ge=1, le=100, description="paper variant: max boundary-connection rounds (step 12)"
    )
    merge_gap_px: int = Field(2, ge=0, le=32, description="regions this close may merge (px)")
    merge_colour_distance: float = Field(
        80.0, ge=0.0, description="max Euclidean RGB distance between mean colours to merge"
    )
    min_region_area: int = Field(4, ge=1, description="smallest kept region after merging (px)")
    body_threshold: int = Field(
        40, ge=0, le=255, description="grey levels a body pixel differs from the background by"
    )
    body_min_fraction: float = Field(
        0.05, ge=0.0, le=1.0, description="smallest connected body part, as a fraction of the image"
    )
    background_rgb: tuple[int, int, int] | None = Field(
        None, description="background colour; None = median of the image border"
    )


class CodebookSegmenter(Segmenter):
    """Region-based codebook segmenter after section 6.1, in a ``paper`` and a ``tuned`` variant."""

    type = "codebook"
    config_class = CodebookConfig

    def __init__(self, config: CodebookConfig) -> None:
        self.config = config
        self._boxes = (config.red, config.green, config.blue)
        self._loose = config.red.widened(config.grow_tolerance)

    def describe(self) -> dict[str, Any]:
        return {
            "segmenter": self.type,
            "model_sha256": None,
            "variant": self.config.variant,
            "final_codes": self.config.final_codes,
        }

    def expected_preprocess(self) -> PreprocessConfig | None:
        """The paper variant colours frames with reversed rainbow, where its three RGB boxes all
        exist with red warmest (``docs/decisions/codebook-palette.md``); tuned: the default."""
        if self.config.variant == "paper":
            return PreprocessConfig(palette="rainbow_r")
        return None

    def paper_steps(self, image: npt.NDArray[np.uint8]) -> PaperSteps:
        """Every step's output of the ``paper`` variant on ``image`` (whatever the variant)."""
        return run_paper(image, self.config)

    def segment_labels(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Cluster labels (S, S) uint8: 0 none, 1 blue, 2 green, 3 red; red is the mask."""
        if self.config.variant == "paper":
            return run_paper(image, self.config).labels
        mask = self._tuned_mask(image)
        # Tuned: the green and blue boxes name the other pixels (red box pixels outside the
        # mask stay unnamed: they were rejected).
        classes = classify_rgb(image, self._boxes)
        labels = np.zeros(mask.shape, dtype=np.uint8)
        labels[classes == 3] = BLUE
        labels[classes == 2] = GREEN
        labels[mask > 0] = RED
        return labels

    def codebook(self, image: npt.NDArray[np.uint8]) -> Codebook:
        """Steps 2-5: the final codebook of ``image`` (block seeds reduced by hierarchical LBG)."""
        cfg = self.config
        init = initial_codebook(image, cfg.block_size, cfg.initial_codes)
        return self.reduce(colour_histogram(image, cfg.histogram_bits), init)

    def reduce(self, hist: ColourHistogram, init: npt.NDArray[np.float32]) -> Codebook:
        """Step 5 alone: hierarchical LBG of ``init`` over ``hist`` with this config's knobs."""
        cfg = self.config
        return lbg(
            hist.centres,
            init,
            weights=hist.counts,
            final_codes=cfg.final_codes,
            iterations=cfg.lbg_iterations,
            level_iterations=cfg.lbg_level_iterations,
            epsilon=cfg.lbg_epsilon,
        )

    def _red_cluster(
        self, image: npt.NDArray[np.uint8], colours: npt.NDArray[np.uint8]
    ) -> npt.NDArray[np.bool_]:
        """Step 7: which ``colours`` (N, 3) lie nearest a code named red by the thresholds."""
        book = self.codebook(image)
        red_code = label_codes(book.codes, self._boxes) == 1
        return np.asarray(red_code[book.assign(colours)], dtype=bool)

    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        if self.config.variant == "paper":
            return (run_paper(image, self.config).labels == RED).astype(np.uint8)
        return self._tuned_mask(image)

    def _tuned_mask(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        cfg = self.config
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
        h, w = image.shape[:2]
        if h % cfg.block_size or w % cfg.block_size:
            raise FrameError(
                f"codebook segmenter: image {w}x{h} is not divisible into "
                f"{cfg.block_size}x{cfg.block_size} blocks; expected sides that are multiples of "
                "codebook.block_size (the model input size is 128)"
            )
        empty = np.zeros((h, w), dtype=np.uint8)
        image = np.ascontiguousarray(image)
        # Step 6 first: without a red seed there is no abnormal region, whatever the codebook.
        seeds = cfg.red.contains(image)
        if not seeds.any():
            return empty
        body = body_mask(image, cfg.body_threshold, cfg.background_rgb, cfg.body_min_fraction)
        seeds &= body
        if cfg.seeds_in_red_cluster and seeds.any():
            ys, xs = np.nonzero(seeds)
            outside = ~self._red_cluster(image, image[ys, xs])
            seeds[ys[outside], xs[outside]] = 0
        if not seeds.any():
            return empty
        # Candidates beyond the seeds: near the red box (grow_tolerance) and in the red cluster.
        grown = self._loose.contains(image) & body & (1 - seeds)
        if grown.any():
            ys, xs = np.nonzero(grown)
            in_red_cluster = self._red_cluster(image, image[ys, xs])
            grown[ys[~in_red_cluster], xs[~in_red_cluster]] = 0
        candidates = seeds | grown
        # Step 9: boundaries only where growth could happen.
        boundaries = empty
        if cfg.use_edge_flow and grown.any():
            x, y, w, h = cv2.boundingRect(candidates)
            pad = 2
            x0, y0 = max(x - pad, 0), max(y - pad, 0)
            roi = (
                x0,
                y0,
                min(x + w + pad, image.shape[1]) - x0,
                min(y + h + pad, image.shape[0]) - y0,
            )
            # An edge often sits on the seed side of a step; thickened by one pixel it still
            # separates the seeds from the grown pixels beyond it.
            edges = edge_flow(image, cfg.edge_low, cfg.edge_high, roi)
            boundaries = np.asarray(cv2.dilate(edges, _RING), dtype=np.uint8) & (1 - seeds)
        # Steps 10-11: grow from seeds, split at boundaries, merge similar neighbours.
        regions = grow_regions(candidates, seeds, boundaries)
        regions = merge_regions(
            regions,
            image,
            gap=cfg.merge_gap_px,
            colour_distance=cfg.merge_colour_distance,
            min_area=cfg.min_region_area,
        )
        kept = (regions > 0).astype(np.uint8)
        # Step 12: boundary pixels bordering a kept region belong to it; only the body counts.
        if boundaries is not empty:
            kept |= np.asarray(cv2.dilate(kept, _RING), dtype=np.uint8) & boundaries & candidates
        return kept & body
