"""Where the paper's RGB boxes lie on the palettes (issue 15, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.preprocess import PALETTES, palette_lut
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.codebook.palettes import box_reach, boxes_in_order

CFG = CodebookConfig()
BOXES = (CFG.red, CFG.green, CFG.blue)


@pytest.mark.parametrize("palette", [p for p in PALETTES if p != "rainbow_r"])
def test_no_other_palette_reaches_all_three_boxes_with_red_warmest(palette: str) -> None:
    assert not boxes_in_order(palette_lut(palette), BOXES)


def test_reversed_rainbow_reaches_red_above_green_above_blue() -> None:
    lut = palette_lut("rainbow_r")
    assert np.array_equal(lut, palette_lut("rainbow")[::-1])
    assert boxes_in_order(lut, BOXES)
    red, green, blue = (box_reach(lut, b) for b in BOXES)
    # Each box matches real palette colours, and the bands are ordered in temperature.
    for reach, box in ((red, CFG.red), (green, CFG.green), (blue, CFG.blue)):
        assert box.contains(lut[reach.indices][None]).all()
    r, g, b = (x.celsius(28.0, 38.0) for x in (red, green, blue))
    assert r is not None and g is not None and b is not None
    assert r[0] > g[1] > g[0] > b[1]


def test_jet_reaches_no_green_and_only_its_coolest_colours_are_blue() -> None:
    lut = palette_lut("jet")
    assert not box_reach(lut, CFG.green).reachable
    assert box_reach(lut, CFG.blue).indices.max() < 32
    assert box_reach(lut, CFG.red).indices.min() > 128


def test_the_paper_variant_colours_with_reversed_rainbow_and_tuned_keeps_the_default() -> None:
    paper = CodebookSegmenter(CodebookConfig(variant="paper")).expected_preprocess()
    assert paper is not None and paper.palette == "rainbow_r"
    assert boxes_in_order(palette_lut(paper.palette), BOXES)
    assert CodebookSegmenter(CodebookConfig(variant="tuned")).expected_preprocess() is None
