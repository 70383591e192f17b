"""Snapshots: a real PNG of the thermogram with outlines, ΔT labels and a °C scale bar."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.core.analysis import AnalysisConfig, analyse
from edge.core.frame import Frame
from edge.errors import FrameError
from edge.io.snapshot import render_snapshot

H, W = 120, 160


def _scene() -> tuple[Frame, np.ndarray, tuple]:
    celsius = np.full((H, W), 33.0, dtype=np.float32)
    mask = np.zeros((H, W), dtype=np.uint8)
    celsius[40:60, 30:50] = 35.5
    mask[40:60, 30:50] = 1
    analysis = analyse(mask, celsius, AnalysisConfig(), body=np.ones((H, W), dtype=np.uint8))
    return Frame(celsius, "celsius"), mask, analysis.regions


def test_snapshot_is_a_png_of_the_enlarged_frame_with_a_scale_bar_and_footer() -> None:
    frame, mask, regions = _scene()
    shot = render_snapshot(frame, mask, regions, scale=3)
    decoded = cv2.imdecode(np.frombuffer(shot.png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert decoded.shape == (H * 3 + 22, W * 3 + 64, 3) == shot.rgb.shape
    assert np.array_equal(decoded, shot.rgb)  # lossless
    # The scale bar runs the palette from warm (top, jet: red) to cold (bottom, blue).
    bar = shot.rgb[: H * 3, W * 3 + 6 : W * 3 + 22]
    top, bottom = bar[14].mean(axis=0), bar[H * 3 - 14].mean(axis=0)
    assert top[0] > top[2] and bottom[2] > bottom[0]


def test_counted_regions_are_outlined_in_white_and_labelled_with_their_delta_t() -> None:
    frame, mask, regions = _scene()
    assert regions and regions[0].counted and regions[0].delta_t_c
    with_region = render_snapshot(frame, mask, regions).rgb
    without = render_snapshot(frame, np.zeros_like(mask), ()).rgb
    changed = np.any(with_region != without, axis=2)
    ys, xs = np.nonzero(changed[: H * 3, : W * 3])
    # Changes sit on the region's outline and its label above it, nowhere else.
    assert ys.min() >= 40 * 3 - 20 and ys.max() <= 60 * 3 + 3
    assert xs.min() >= 30 * 3 - 3
    white = np.all(with_region[: H * 3, : W * 3] == 255, axis=2)
    assert white[40 * 3 : 60 * 3, 30 * 3 - 2 : 30 * 3 + 2].any()


def test_a_mask_of_the_wrong_shape_is_refused_naming_both_shapes() -> None:
    frame, mask, regions = _scene()
    with pytest.raises(FrameError, match=r"\(60, 80\).*\(120, 160\)"):
        render_snapshot(frame, mask[::2, ::2], regions)


def test_only_the_regions_own_pixels_are_outlined_not_specks_below_the_minimum_size() -> None:
    frame, mask, regions = _scene()
    specked = mask.copy()
    specked[100, 140] = 1  # one pixel: below min_region_px, not a region of the analysis
    plain = render_snapshot(frame, mask, regions).rgb
    with_speck = render_snapshot(frame, specked, regions).rgb
    assert np.array_equal(plain, with_speck)
