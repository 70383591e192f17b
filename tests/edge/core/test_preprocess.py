from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge.core.frame import Frame, celsius_to_y16
from edge.core.preprocess import (
    PALETTES,
    PreprocessConfig,
    colorize,
    mask_to_frame,
    mask_to_model,
    palette_lut,
    to_model_input,
)


@pytest.mark.parametrize("palette", PALETTES)
def test_every_palette_is_a_256_entry_rgb_table(palette: str) -> None:
    lut = palette_lut(palette)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8


def test_jet_maps_cold_to_blue_and_hot_to_red() -> None:
    rgb = colorize(np.array([[20.0, 45.0]], np.float32), "jet", 28.0, 38.0)
    cold, hot = rgb[0, 0], rgb[0, 1]
    assert cold[2] > 100 and cold[0] == 0  # dark blue, saturated below the span
    assert hot[0] > 100 and hot[2] == 0  # dark red, saturated above the span


def test_a_colour_means_the_same_temperature_in_every_frame() -> None:
    # Fixed span, no per-frame normalisation: 33 °C is the same colour whatever surrounds it.
    a = colorize(np.array([[33.0, 20.0]], np.float32))
    b = colorize(np.array([[33.0, 37.0]], np.float32))
    assert (a[0, 0] == b[0, 0]).all()


def test_lepton_frame_becomes_128_square_rgb() -> None:
    celsius = np.random.default_rng(0).uniform(25, 36, (120, 160)).astype(np.float32)
    image = to_model_input(Frame(celsius, "celsius"), PreprocessConfig())
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8


def test_y16_and_celsius_frames_preprocess_alike() -> None:
    celsius = np.random.default_rng(1).uniform(28, 36, (120, 160)).astype(np.float32)
    cfg = PreprocessConfig()
    a = to_model_input(Frame(celsius, "celsius"), cfg).astype(int)
    b = to_model_input(Frame(celsius_to_y16(celsius), "y16"), cfg).astype(int)
    assert np.abs(a - b).max() <= 8  # 0.01 K quantisation moves a pixel at most one palette step


def test_pseudo_colour_input_is_passed_through_as_rgb() -> None:
    rgb = np.zeros((128, 128, 3), np.uint8)
    rgb[10:20, 30:40] = (200, 10, 10)
    out = to_model_input(Frame(rgb, "rgb"), PreprocessConfig())
    assert (out == rgb).all()


def test_dmr_sized_frame_is_area_averaged_to_128() -> None:
    celsius = np.full((480, 640), 30.0, np.float32)
    celsius[::2, ::2] = 32.0  # a checkerboard-like pattern that aliasing would keep
    image = to_model_input(
        Frame(celsius, "celsius"), PreprocessConfig(palette="gray", t_min=28, t_max=36)
    )
    # Nearest-neighbour sampling would give 0 or 64 grey levels; averaging keeps within a quarter.
    assert np.ptp(image[..., 0]) <= 16


def test_mask_round_trip_keeps_a_region_at_input_resolution() -> None:
    mask = np.zeros((120, 160), np.uint8)
    mask[40:70, 50:90] = 1
    small = mask_to_model(mask, 128)
    back = mask_to_frame(small, (120, 160))
    assert back.shape == (120, 160) and set(np.unique(back)) <= {0, 1}
    assert (back != mask).mean() < 0.01


def test_mask_to_model_accepts_0_255_masks() -> None:
    mask = np.zeros((480, 640), np.uint8)
    mask[100:200, 100:300] = 255
    assert mask_to_model(mask).max() == 1


def test_config_rejects_an_empty_span_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="t_max"):
        PreprocessConfig(t_min=30, t_max=30)
    with pytest.raises(ValidationError, match="pallete"):
        PreprocessConfig(pallete="jet")  # type: ignore[call-arg]
