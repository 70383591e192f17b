"""One frame to one decision: preprocess, segment, map the mask back, analyse.

The daemon's pipeline, ``thermoseg-edge segment``/``evaluate`` and the training assessment all
call these functions, so a frame is judged the same way everywhere. The pipeline runs the three
steps on different threads (:func:`prepare`, the segmenter, :func:`decide`); the others call
:func:`screen_frame`, which times each step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from edge.core.analysis import Analysis, AnalysisConfig, analyse
from edge.core.frame import Frame
from edge.core.preprocess import ModelInput, PreprocessConfig, mask_to_frame, model_input
from edge.core.roi import BreastROI, find_roi

__all__ = ["Decision", "Prepared", "SegmentFn", "decide", "prepare", "screen_frame"]

RGB = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.uint8]
# A segmenter's ``segment``: model-size RGB uint8 in, model-size 0/1 mask out.
SegmentFn = Callable[[RGB], Mask]


@dataclass(frozen=True)
class Prepared:
    """A frame, the model input made from it and the frame's breast ROI."""

    frame: Frame
    model: ModelInput
    roi: BreastROI | None  # None for pseudo-colour frames (no temperatures)

    @property
    def image(self) -> RGB:
        """The model's RGB uint8 (size, size, 3) input."""
        return self.model.image


@dataclass(frozen=True)
class Decision:
    """The mask at the frame's own resolution, its analysis and what each step took."""

    frame: Frame
    mask: Mask
    analysis: Analysis
    timings_ms: dict[str, float] = field(default_factory=dict)
    roi: BreastROI | None = None

    @property
    def abnormal(self) -> bool:
        """The frame-level screening flag (see :class:`~edge.core.analysis.Analysis`)."""
        return self.analysis.abnormal


def prepare(frame: Frame, cfg: PreprocessConfig) -> Prepared:
    """The model input for ``frame`` (the device's one preprocessing) and its breast ROI.

    The ROI is found once per frame: the crop (``cfg.crop = "roi"``) and the decision use it."""
    model = model_input(frame, cfg)
    roi = model.roi
    if roi is None and frame.radiometric:
        roi = find_roi(frame.celsius(), cfg.roi)  # type: ignore[arg-type]
    return Prepared(frame, model, roi)


def decide(prepared: Prepared, model_mask: Mask, cfg: AnalysisConfig) -> tuple[Mask, Analysis]:
    """The model-size mask back at the frame's resolution, and its analysis there."""
    frame = prepared.frame
    # Regions are measured on the frame's own pixels (alerts report camera pixels).
    mask = mask_to_frame(model_mask, frame.shape, prepared.model.box)
    rgb = frame.pixels if frame.kind == "rgb" else None
    return mask, analyse(mask, frame.celsius(), cfg, rgb=rgb, roi=prepared.roi)


def screen_frame(
    frame: Frame,
    segment: SegmentFn,
    preprocess_cfg: PreprocessConfig,
    analysis_cfg: AnalysisConfig,
) -> Decision:
    """Frame to decision in one call; ``timings_ms`` has preprocess, segment and analyse."""
    t0 = time.perf_counter()
    prepared = prepare(frame, preprocess_cfg)
    t1 = time.perf_counter()
    model_mask = segment(prepared.image)
    t2 = time.perf_counter()
    mask, analysis = decide(prepared, model_mask, analysis_cfg)
    t3 = time.perf_counter()
    timings = {
        "preprocess": (t1 - t0) * 1e3,
        "segment": (t2 - t1) * 1e3,
        "analyse": (t3 - t2) * 1e3,
    }
    return Decision(frame, mask, analysis, timings, prepared.roi)
