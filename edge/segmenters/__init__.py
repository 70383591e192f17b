"""Segmenter backends, selected by ``type`` through an explicit registry.

>>> from edge.segmenters import create_segmenter, CodebookConfig
>>> seg = create_segmenter(CodebookConfig())
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from edge.segmenters.base import Segmenter
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.tflite import TFLiteConfig, TFLiteSegmenter

__all__ = [
    "SEGMENTERS",
    "CodebookConfig",
    "CodebookSegmenter",
    "Segmenter",
    "SegmenterConfig",
    "TFLiteConfig",
    "TFLiteSegmenter",
    "create_segmenter",
]

SEGMENTERS: dict[str, type[Segmenter]] = {
    "codebook": CodebookSegmenter,
    "tflite": TFLiteSegmenter,
}

SegmenterConfig = Annotated[Union[CodebookConfig, TFLiteConfig], Field(discriminator="type")]  # noqa: UP007


def create_segmenter(config: CodebookConfig | TFLiteConfig) -> Segmenter:
    """Build the backend that ``config.type`` names."""
    return SEGMENTERS[config.type](config)  # type: ignore[call-arg]
