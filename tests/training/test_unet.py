"""The paper-size U-Net: its layers against the paper's table, its parameter count."""

from __future__ import annotations

import pytest

from training.unet import PAPER_TABLE, PAPER_TOTAL_PARAMS, build_unet, summary_rows


def test_paper_size_unet_has_31_0_million_parameters_and_matches_the_paper_table() -> None:
    model = build_unet((128, 128, 3), base_filters=64)
    ours = {name: (shape, params) for name, shape, params in summary_rows(model)}
    print(f"\n{'layer':10} {'ours':>24} {'paper':>24}  note")
    for row in PAPER_TABLE:
        shape, params = ours["rgb" if row.layer == "input" else row.layer]
        print(
            f"{row.layer:10} {shape!s:>14}{params:>10,} {row.output_shape!s:>14}{row.params:>10,}  {row.typo}"
        )
    print(f"{'total':10} {model.count_params():>24,} {PAPER_TOTAL_PARAMS:>24,}")
    assert abs(model.count_params() - 31.0e6) <= 0.1e6
    for row in PAPER_TABLE:
        if row.layer == "input" or row.typo:
            continue
        assert ours[row.layer] == (row.output_shape, row.params), row.layer
    # The two typo rows differ from the architecture exactly where the paper misprinted.
    assert ours["conv2_1"][0] == (64, 64, 128)
    assert ours["conv3_1"][1] == 295_168


def test_model_scales_uint8_range_input_inside_itself() -> None:
    model = build_unet((32, 32, 3), base_filters=2)
    assert model.get_layer("rescale").scale == pytest.approx(1 / 255)
    assert model.output_shape == (None, 32, 32, 1)


def test_input_side_not_divisible_by_16_is_rejected() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        build_unet((120, 160, 3), base_filters=2)
