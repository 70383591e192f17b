"""The region-based LBG codebook segmenter after the paper's section 6.1 (two variants)."""

from __future__ import annotations

from edge.segmenters.codebook.segmenter import CodebookConfig, CodebookSegmenter, RGBBox

__all__ = ["CodebookConfig", "CodebookSegmenter", "RGBBox"]
