"""The paper-size U-Net: its layers against the corrected table, its parameter count, options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.unet import (
    PAPER_PRINTED_TOTAL_PARAMS,
    PRINTED_DIFFERENCES,
    UNET_TABLE,
    build_unet,
    summary_rows,
)


def test_paper_size_unet_matches_the_corrected_table_row_by_row() -> None:
    model = build_unet((128, 128, 3), base_filters=64)
    ours = {name: (shape, params) for name, shape, params in summary_rows(model)}
    for row in UNET_TABLE:
        assert ours["rgb" if row.layer == "input" else row.layer] == (row.output_shape, row.params)
    built = model.count_params()
    assert built == sum(row.params for row in UNET_TABLE) == 31_032_837
    # The paper prints 31,033,432; the built model has 595 fewer. Printed for the record:
    print(f"\npaper's printed total {PAPER_PRINTED_TOTAL_PARAMS:,}; built model {built:,}")
    for d in PRINTED_DIFFERENCES:
        print(f"  {d.layer}: printed {d.printed}; corrected {d.corrected} ({d.reported_by})")
    assert PAPER_PRINTED_TOTAL_PARAMS - built == 595


def test_model_scales_uint8_range_input_inside_itself() -> None:
    model = build_unet((32, 32, 3), base_filters=2)
    assert model.get_layer("rescale").scale == pytest.approx(1 / 255)
    assert model.output_shape == (None, 32, 32, 1)


def test_input_side_not_divisible_by_16_is_rejected() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        build_unet((120, 160, 3), base_filters=2)


def test_symmetric_padding_mirrors_the_border_and_keeps_every_parameter_count() -> None:
    same = build_unet((32, 32, 3), base_filters=2)
    mirror = build_unet((32, 32, 3), base_filters=2, padding="symmetric")
    assert mirror.output_shape == same.output_shape == (None, 32, 32, 1)
    assert mirror.count_params() == same.count_params()
    pad = mirror.get_layer("conv1_1_pad")
    x = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    expected = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="symmetric")
    np.testing.assert_array_equal(np.asarray(pad(x)), expected)
    assert mirror.get_layer("up6_pad").get_config()["after"] == 1  # 2×2: nothing before


def test_colour_head_paints_the_input_towards_255_255_49_by_the_mask_probability() -> None:
    model = build_unet((32, 32, 3), base_filters=2, dropout=0.0, colour_head=True)
    assert model.output_shape == [(None, 32, 32, 1), (None, 32, 32, 3)]
    rgb = np.random.default_rng(0).integers(0, 256, (1, 32, 32, 3)).astype(np.float32)
    mask, overlay = model.predict(rgb, verbose=0)
    expected = rgb + mask * (np.array([255, 255, 49], np.float32) - rgb)
    np.testing.assert_allclose(overlay, expected, rtol=1e-5, atol=1e-3)
    with pytest.raises(ValueError, match="colour_head"):
        build_unet((32, 32, 3), base_filters=2, num_classes=2, colour_head=True)


def test_symmetric_model_survives_a_keras_save_and_load(tmp_path: Path) -> None:
    import keras

    model = build_unet((32, 32, 3), base_filters=2, dropout=0.0, padding="symmetric")
    path = f"{tmp_path}/m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    x = np.full((1, 32, 32, 3), 100.0, np.float32)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
