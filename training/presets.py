"""Named training presets: the paper's SGD U-Net, the enhanced RMSprop U-Net and the lite one.

* ``unet-sgd``: the paper's first U-Net, SGD with Nesterov momentum 0.9 (the paper names SGD
  but gives no learning rate or momentum; both are our choices, momentum being the usual
  companion of SGD for U-Nets).
* ``unet-rmsprop``: the paper's enhanced U-Net, same network trained with RMSprop.
* ``lite``: the same topology at ``base_filters=8`` for the Raspberry Pi, Adam 1e-3, dropout
  0.2, batch 16. Chosen by measurement at an equal budget (100 steps × 16 frames, same data,
  seed and validation subjects; the README's "Training and assessment"): validation Dice 0.000 at
  base 4, 0.797 at base 8, 0.124 at base 16 (the widest trained here), so 8 is the smallest
  width within 0.02 of the widest; at that budget Adam (0.797, base 8) beat RMSprop 1e-4
  (0.083, base 16) and SGD 0.01 + momentum 0.9 (0.063, base 16). One seed, 100 steps: the
  wider nets were still early in training, so this picks a width that learns fast on 2 cores,
  not the best width at convergence.

All presets use the :func:`training.losses.bce_dice_loss` and report the
:class:`training.losses.DiceMetric`. Command-line options override any field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import keras

__all__ = ["PRESETS", "Preset", "make_optimizer"]

Optimizer = Literal["sgd", "rmsprop", "adam"]


class Preset(BaseModel):
    """Everything about a training run that is not the data or the seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="preset name")
    base_filters: int = Field(default=64, ge=1, description="filters of the first U-Net level")
    dropout: float = Field(
        default=0.5, ge=0.0, lt=1.0, description="dropout after the 512/1024 blocks"
    )
    optimizer: Optimizer = Field(default="rmsprop", description="optimizer")
    learning_rate: float = Field(default=1e-4, gt=0, description="initial learning rate")
    momentum: float = Field(default=0.0, ge=0.0, lt=1.0, description="SGD momentum")
    epochs: int = Field(default=30, ge=1, description="maximum epochs")
    batch_size: int = Field(default=8, ge=1, description="frames per batch")
    steps_per_epoch: int | None = Field(
        default=None, ge=1, description="batches per epoch (None: one pass)"
    )
    patience: int = Field(
        default=6, ge=1, description="epochs without val Dice gain before stopping"
    )
    val_fraction: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="subjects held out for validation"
    )


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
        return keras.optimizers.RMSprop(learning_rate=preset.learning_rate)
    return keras.optimizers.Adam(learning_rate=preset.learning_rate)
