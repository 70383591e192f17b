"""Named training presets: the paper's SGD U-Net, the enhanced RMSprop U-Net and the lite one.

* ``unet-sgd``: the paper's first U-Net, SGD with Nesterov momentum 0.9 (the paper names SGD
  but gives no learning rate or momentum; both are our choices, momentum being the usual
  companion of SGD for U-Nets).
* ``unet-rmsprop``: the paper's enhanced U-Net, same network trained with RMSprop.
* ``lite``: the same topology at ``base_filters=8`` for the Raspberry Pi, Adam 1e-3, dropout
  0.2, batch 16: the smallest width that kept up with wider ones at an equal CPU budget
  (measurements and the command that repeats them: ``docs/decisions/lite-preset.md``).

All presets use the :func:`training.losses.bce_dice_loss` and report the
:class:`training.losses.DiceMetric`. Every field of :class:`Preset` can be overridden by name
(:func:`resolve_preset`; ``thermoseg-train fit --set KEY=VALUE`` or ``--key VALUE``), and the
override is validated by the model: adding a field here is all it takes to make it settable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.errors import ConfigError, validation_problems

if TYPE_CHECKING:
    import keras

__all__ = ["PRESETS", "Preset", "make_optimizer", "parse_overrides", "resolve_preset"]

Optimizer = Literal["sgd", "rmsprop", "adam"]


class Preset(BaseModel):
    """Everything about a training run that is not the data, the seed or the hardware."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="preset name")
    base_filters: int = Field(default=64, ge=1, description="filters of the first U-Net level")
    dropout: float = Field(
        default=0.5, ge=0.0, lt=1.0, description="dropout after the 512/1024 blocks"
    )
    optimizer: Optimizer = Field(default="rmsprop", description="sgd, rmsprop or adam")
    learning_rate: float = Field(default=1e-4, gt=0, description="initial learning rate")
    momentum: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="SGD (Nesterov) or RMSprop momentum"
    )
    epochs: int = Field(default=30, ge=1, description="maximum epochs")
    batch_size: int = Field(
        default=8, ge=1, description="frames per step, over all replicas (the global batch)"
    )
    steps_per_epoch: int | None = Field(
        default=None, ge=1, description="batches per epoch (None: one pass)"
    )
    patience: int = Field(
        default=6, ge=1, description="epochs without val Dice gain before stopping"
    )
    val_fraction: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="subjects held out for validation"
    )

    @model_validator(mode="after")
    def _momentum_has_a_use(self) -> Preset:
        if self.momentum > 0 and self.optimizer == "adam":
            raise ValueError("momentum applies to sgd and rmsprop; adam has its own betas")
        return self


PRESETS: dict[str, Preset] = {
    "unet-sgd": Preset(
        name="unet-sgd", optimizer="sgd", learning_rate=1e-2, momentum=0.9, base_filters=64
    ),
    "unet-rmsprop": Preset(
        name="unet-rmsprop", optimizer="rmsprop", learning_rate=1e-4, base_filters=64
    ),
    "lite": Preset(
        name="lite",
        optimizer="adam",
        learning_rate=1e-3,
        base_filters=8,
        dropout=0.2,
        batch_size=16,
    ),
}


def parse_overrides(
    pairs: Iterable[str], option: str = "--set", example: str = "dropout=0.3"
) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` as a dict; each value parsed as JSON, else kept as a string.

    ``option`` and ``example`` name the command-line option in the error."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"{option} {pair!r}: expected KEY=VALUE, e.g. {option} {example}")
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return values


def resolve_preset(name: str, overrides: Mapping[str, Any] | None = None) -> Preset:
    """The preset ``name`` with ``overrides`` applied and validated by :class:`Preset`.

    Raises :class:`ConfigError` naming the known presets, or each key at fault and why.
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    overrides = dict(overrides or {})
    if "name" in overrides:
        raise ConfigError("--set name=...: the preset's name is chosen with --preset")
    try:
        return Preset.model_validate({**PRESETS[name].model_dump(), **overrides})
    except ValidationError as exc:
        problems = validation_problems(exc, with_input=True)
        raise ConfigError(f"preset {name!r} overrides: {problems}") from None


def make_optimizer(preset: Preset) -> keras.optimizers.Optimizer:
    """The Keras optimizer the preset names (imports Keras)."""
    import keras

    if preset.optimizer == "sgd":
        return keras.optimizers.SGD(
            learning_rate=preset.learning_rate,
            momentum=preset.momentum,
            nesterov=preset.momentum > 0,
        )
    if preset.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(
            learning_rate=preset.learning_rate, momentum=preset.momentum
        )
    return keras.optimizers.Adam(learning_rate=preset.learning_rate)
