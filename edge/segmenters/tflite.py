"""TFLite segmenter (LiteRT). Placeholder until the conversion work lands."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.errors import ModelError
from edge.segmenters.base import Segmenter

__all__ = ["TFLiteConfig", "TFLiteSegmenter"]


class TFLiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["tflite"] = "tflite"
    model: Path | None = Field(None, description="path to a .tflite file; None = shipped default")
    num_threads: int = Field(2, ge=1, le=64, description="interpreter threads")
    threshold: float = Field(0.5, gt=0.0, lt=1.0, description="probability above which a pixel is abnormal")


class TFLiteSegmenter(Segmenter):
    type = "tflite"
    config_class = TFLiteConfig

    def __init__(self, config: TFLiteConfig) -> None:
        raise ModelError("the tflite segmenter is not built yet")

    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        raise ModelError("the tflite segmenter is not built yet")
