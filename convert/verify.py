"""Parity check: the converted model through the device's LiteRT wrapper vs the Keras model.

Both see the same frames through the same preprocessing (the manifest's), both masks are
thresholded the same way (probability > threshold), and both are scored against the ground
truth masks at model size (:func:`edge.core.preprocess.mask_to_model`). The check passes when the
TFLite model's Dice is no more than ``tolerance`` below the Keras model's.

"Dice" is pooled over the whole folder (pixel counts summed over frames, then Dice): most
screening frames have no lesion, and the per-frame mean, which gives such a frame 1.0 or 0.0 on
a handful of pixels, is too noisy to judge parity on (docs/decisions/0005). The per-frame mean
is still reported. The int8 models pass thanks to ``convert.equalize`` (docs/decisions/0002).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convert.export import load_keras_model
from edge.core.metrics import PixelCounts
from edge.core.preprocess import mask_to_model, model_input
from edge.errors import DatasetError, FrameError
from edge.io.readers import list_frame_files, read_frame, read_mask
from edge.segmenters.tflite import TFLiteConfig, TFLiteSegmenter

__all__ = ["VerifyReport", "mask_file_for", "verify"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` measured; ``passed`` applies the Dice tolerance."""

    model: str
    quant: str
    frames: int
    mask_agreement: float  # mean fraction of pixels where both masks agree
    probability_mae: float  # mean |p_tflite - p_keras|
    dice_tflite: float  # pooled over all frames' pixels
    dice_keras: float
    frame_dice_tflite: float  # mean of per-frame Dice (1.0 for empty prediction and truth)
    frame_dice_keras: float
    latency_tflite_ms: float  # median per frame, wrapper included
    latency_keras_ms: float  # median per frame, model(x, training=False)
    tolerance: float

    @property
    def dice_drop(self) -> float:
        """How far the TFLite Dice is below the Keras Dice (negative: above)."""
        return self.dice_keras - self.dice_tflite

    @property
    def passed(self) -> bool:
        return self.dice_drop <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "dice_drop": self.dice_drop, "passed": self.passed}

    def format(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return "\n".join(
            [
                f"{self.model} ({self.quant}) vs Keras on {self.frames} frames",
                f"  mask agreement      {self.mask_agreement:.4f}",
                f"  probability MAE     {self.probability_mae:.4f}",
                f"  Dice TFLite         {self.dice_tflite:.4f}",
                f"  Dice Keras          {self.dice_keras:.4f}",
                f"  per-frame Dice      {self.frame_dice_tflite:.4f} TFLite, "
                f"{self.frame_dice_keras:.4f} Keras (mean over frames)",
                f"  Dice drop           {self.dice_drop:+.4f} (tolerance {self.tolerance})",
                f"  latency TFLite      {self.latency_tflite_ms:.2f} ms median",
                f"  latency Keras       {self.latency_keras_ms:.2f} ms median",
                f"  {verdict}",
            ]
        )


def mask_file_for(frame_path: Path) -> Path:
    """Ground truth of ``<dir>/<stem>.*``: ``<dir>/masks/<stem>.png`` (the synth layout)."""
    return frame_path.parent / "masks" / f"{frame_path.stem}.png"


def verify(
    tflite_path: Path,
    keras_path: Path,
    data_dir: Path,
    *,
    tolerance: float = 0.01,
    threshold: float = 0.5,
    num_threads: int = 1,
    limit: int | None = None,
) -> VerifyReport:
    """Run both models on the frames of ``data_dir`` and compare (see the module docstring)."""
    files = list_frame_files(data_dir)[:limit]
    if not files:
        raise DatasetError(f"{data_dir}: no frame files to verify on")
    keras_model = load_keras_model(keras_path)
    agree, mae, d_lite, d_keras, t_lite, t_keras = [], [], [], [], [], []
    pooled_lite, pooled_keras = PixelCounts(), PixelCounts()
    seg = TFLiteSegmenter(
        TFLiteConfig(model=tflite_path, num_threads=num_threads, threshold=threshold)
    )
    try:
        cfg = seg.expected_preprocess()
        for path in files:
            mask_path = mask_file_for(path)
            if not mask_path.is_file():
                raise DatasetError(f"{path}: ground truth {mask_path} is missing")
            try:
                model_in = model_input(read_frame(path), cfg)
                image = model_in.image
                truth = mask_to_model(read_mask(mask_path), cfg.size, model_in.box)
            except FrameError as exc:
                log.warning("verify: skipped %s: %s", path, exc)
                continue
            start = time.perf_counter()
            p_lite = seg.probabilities(image)
            t_lite.append(time.perf_counter() - start)
            start = time.perf_counter()
            out = keras_model(image.astype(np.float32)[None], training=False)
            p_keras = np.asarray(out, dtype=np.float32).reshape(cfg.size, cfg.size)
            t_keras.append(time.perf_counter() - start)
            m_lite = (p_lite > threshold).astype(np.uint8)
            m_keras = (p_keras > threshold).astype(np.uint8)
            agree.append(float(np.mean(m_lite == m_keras)))
            mae.append(float(np.mean(np.abs(p_lite - p_keras))))
            counts_lite, counts_keras = (
                PixelCounts.of(m_lite, truth),
                PixelCounts.of(m_keras, truth),
            )
            pooled_lite, pooled_keras = pooled_lite + counts_lite, pooled_keras + counts_keras
            d_lite.append(counts_lite.dice)
            d_keras.append(counts_keras.dice)
    finally:
        seg.close()
    manifest = seg.manifest
    if not agree:
        raise DatasetError(f"{data_dir}: none of {len(files)} frames could be read")
    report = VerifyReport(
        model=manifest.name,
        quant=manifest.quant,
        frames=len(agree),
        mask_agreement=float(np.mean(agree)),
        probability_mae=float(np.mean(mae)),
        dice_tflite=pooled_lite.dice,
        dice_keras=pooled_keras.dice,
        frame_dice_tflite=float(np.mean(d_lite)),
        frame_dice_keras=float(np.mean(d_keras)),
        latency_tflite_ms=1000.0 * float(np.median(t_lite)),
        latency_keras_ms=1000.0 * float(np.median(t_keras)),
        tolerance=tolerance,
    )
    log.info("verify %s: %s", tflite_path, report.to_dict())
    return report
