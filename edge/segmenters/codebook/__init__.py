"""The paper's region-based LBG codebook segmenter (section 6.1)."""

from __future__ import annotations

from edge.segmenters.codebook.segmenter import CodebookConfig, CodebookSegmenter, RGBBox

__all__ = ["CodebookConfig", "CodebookSegmenter", "RGBBox"]
