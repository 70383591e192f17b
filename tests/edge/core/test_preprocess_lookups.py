"""The faster lookups give byte-identical results to the straightforward expressions."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.preprocess import PALETTES, colorize, palette_lut
from edge.io.manifest import TensorInfo
from edge.segmenters.tflite import _quantize


@pytest.mark.parametrize("palette", PALETTES)
def test_colorize_equals_indexing_the_palette_with_the_rounded_clipped_levels(palette: str) -> None:
    celsius = np.random.default_rng(3).uniform(20.0, 45.0, (120, 160)).astype(np.float32)
    scaled = (celsius - np.float32(28.0)) * np.float32(255.0 / 10.0)
    levels = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    out = colorize(celsius, palette, 28.0, 38.0)
    assert out.dtype == np.uint8 and out.shape == (120, 160, 3)
    np.testing.assert_array_equal(out, palette_lut(palette)[levels])


def _spec(scale: float, zero_point: int) -> TensorInfo:
    return TensorInfo(
        name="rgb", shape=[1, 4, 4, 3], dtype="uint8", scale=scale, zero_point=zero_point
    )


def test_identity_quantisation_passes_the_rgb_bytes_and_others_still_rescale() -> None:
    image = np.random.default_rng(4).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    np.testing.assert_array_equal(_quantize(image, _spec(1.0, 0)), image)
    halved = _quantize(image, _spec(2.0, 0))
    np.testing.assert_array_equal(halved, np.rint(image / 2.0).astype(np.uint8))
    shifted = _quantize(image, _spec(1.0, 10))
    np.testing.assert_array_equal(shifted, np.clip(image.astype(int) + 10, 0, 255).astype(np.uint8))
