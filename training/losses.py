"""Dice + BCE loss and a Dice metric for tiny warm lesions.

The loss is ``BCE + (1 - soft Dice)`` with the soft Dice computed over the *whole batch*
(one intersection/union over all pixels of all frames; under ``tf.distribute``, of the
replica's share of the batch). Per-pixel BCE alone is dominated by the
background when a lesion covers < 1 % of the frame; the Dice term weighs the lesion as a whole,
and pooling it over the batch keeps it defined (and not rewarding empty predictions) when some
frames of the batch are normal. The BCE term keeps gradients well behaved early in training,
when the soft Dice is flat.

:class:`DiceMetric` is the hard (threshold 0.5) Dice accumulated over every batch of an epoch,
i.e. one Dice over all pixels seen, not a mean of per-batch values.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["DiceMetric", "bce_dice_loss", "soft_dice"]

_SMOOTH = 1.0


@keras.saving.register_keras_serializable(package="thermoseg")
def soft_dice(y_true: Any, y_pred: Any) -> Any:
    """Soft Dice over the whole batch (scalar tensor)."""
    t = ops.cast(ops.reshape(y_true, (-1,)), "float32")
    p = ops.cast(ops.reshape(y_pred, (-1,)), "float32")
    inter = ops.sum(t * p)
    return (2.0 * inter + _SMOOTH) / (ops.sum(t) + ops.sum(p) + _SMOOTH)


@keras.saving.register_keras_serializable(package="thermoseg")
def bce_dice_loss(y_true: Any, y_pred: Any) -> Any:
    """Per frame: its mean binary cross-entropy plus ``1 - soft_dice`` over the batch.

    One value per frame (shape ``(batch,)``), whose batch mean is the pixel-mean BCE plus the
    pooled Dice term. Returning a vector rather than a scalar lets Keras divide the loss by the
    number of replicas under ``tf.distribute`` (it leaves a scalar loss unscaled, which would
    sum the replicas' gradients instead of averaging them).
    """
    t = ops.cast(y_true, "float32")
    p = ops.cast(y_pred, "float32")
    bce = ops.mean(ops.reshape(keras.losses.binary_crossentropy(t, p), (ops.shape(t)[0], -1)), 1)
    return bce + (1.0 - soft_dice(t, p))


@keras.saving.register_keras_serializable(package="thermoseg")
class DiceMetric(keras.metrics.Metric):
    """Hard Dice (prediction >= ``threshold``) accumulated over all pixels of an epoch."""

    def __init__(self, name: str = "dice", threshold: float = 0.5, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.intersection = self.add_variable(shape=(), initializer="zeros", name="intersection")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = ops.cast(ops.reshape(y_true, (-1,)) > 0.5, "float32")
        p = ops.cast(ops.reshape(y_pred, (-1,)) >= self.threshold, "float32")
        self.intersection.assign_add(ops.sum(t * p))
        self.total.assign_add(ops.sum(t) + ops.sum(p))

    def result(self) -> Any:
        # Both empty (no lesion anywhere, none predicted) is a perfect agreement.
        return ops.where(
            self.total > 0, 2.0 * self.intersection / ops.maximum(self.total, 1.0), 1.0
        )

    def reset_state(self) -> None:
        self.intersection.assign(0.0)
        self.total.assign(0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "threshold": self.threshold}
