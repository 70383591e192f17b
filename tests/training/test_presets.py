"""Preset overrides: every field settable by name, each value validated by the preset model."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import ConfigError
from training.cli import main
from training.presets import PRESETS, Preset, parse_overrides, resolve_preset


def test_unknown_preset_raises_config_error_naming_the_known_presets() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'unet-adam'") as info:
        resolve_preset("unet-adam")
    assert all(name in str(info.value) for name in PRESETS)


def test_dropout_momentum_and_optimizer_are_overridable() -> None:
    preset = resolve_preset("lite", {"dropout": 0.1, "optimizer": "sgd", "momentum": 0.8})
    assert (preset.dropout, preset.optimizer, preset.momentum) == (0.1, "sgd", 0.8)
    assert preset.base_filters == PRESETS["lite"].base_filters  # the rest is the preset's


def test_every_field_but_the_name_can_be_overridden() -> None:
    # A value different from the lite preset's for each field: adding a field to Preset
    # without it being settable fails here.
    changed = {
        "base_filters": 5,
        "dropout": 0.05,
        "optimizer": "rmsprop",
        "learning_rate": 0.02,
        "momentum": 0.3,
        "epochs": 2,
        "batch_size": 3,
        "steps_per_epoch": 7,
        "patience": 9,
        "val_fraction": 0.4,
    }
    assert set(changed) == set(Preset.model_fields) - {"name"}
    preset = resolve_preset("lite", changed)
    assert preset.model_dump(exclude={"name"}) == changed


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"momentum": 2}, "momentum=2"),
        ({"dropout": "lots"}, "dropout='lots'"),
        ({"optimizer": "adagrad"}, "optimizer='adagrad'"),
        ({"drop_out": 0.1}, "drop_out"),
        ({"momentum": 0.9}, "adam has its own betas"),  # lite uses adam
    ],
)
def test_an_invalid_override_raises_config_error_naming_the_key(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match="preset 'lite' overrides") as info:
        resolve_preset("lite", overrides)
    assert named in str(info.value)


def test_set_values_are_json_else_strings() -> None:
    values = parse_overrides(
        ["dropout=0.3", "steps_per_epoch=null", "optimizer=sgd", "learning_rate=1e-3", "epochs=4"]
    )
    assert values == {
        "dropout": 0.3,
        "steps_per_epoch": None,
        "optimizer": "sgd",
        "learning_rate": 1e-3,
        "epochs": 4,
    }
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_overrides(["dropout"])


def test_cli_bad_set_fails_with_the_key_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fit", "--synthetic", "4", "--out", str(tmp_path / "r"), "--set", "momentum=2"]
    assert main(argv) == 1
    assert "momentum=2" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # nothing written, nothing trained


def test_cli_unknown_preset_exits_1_naming_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", "--preset", "big", "--synthetic", "4", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "unknown preset 'big'" in err and "unet-sgd" in err
