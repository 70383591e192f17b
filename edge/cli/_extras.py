"""Extra files ``segment`` writes when the segmenter offers more than a mask (cluster labels)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig, to_model_input
from edge.io.overlay import render_clusters, write_png
from edge.segmenters import Segmenter

__all__ = ["write_extras"]

log = logging.getLogger(__name__)


def write_extras(
    segmenter: Segmenter, frame: Frame, cfg: PreprocessConfig, out: Path, stem: str
) -> Path | None:
    """Write ``<stem>_clusters.png`` (paper colours) when ``segmenter`` has ``segment_labels``.

    The labels are computed on the model input and brought back to the frame's resolution by
    nearest neighbour, like the mask. Returns the path written, or None.
    """
    labels_of = getattr(segmenter, "segment_labels", None)
    if labels_of is None:
        return None
    labels = np.asarray(labels_of(to_model_input(frame, cfg)), dtype=np.uint8)
    h, w = frame.shape[:2]
    if labels.shape != (h, w):
        labels = np.asarray(cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST), np.uint8)
    path = out / f"{stem}_clusters.png"
    write_png(path, render_clusters(labels))
    return path
