"""Where training runs: the ``tf.distribute`` strategy, the mixed-precision policy, input sharding.

* ``default``: TensorFlow's default strategy, one device (the first GPU, else the CPU).
* ``mirrored``: synchronous data parallelism over every local GPU; on a machine without GPUs,
  over every logical CPU device (tests split the CPU into two to exercise it).
* ``multi-worker``: synchronous data parallelism over several machines, each running the same
  command with its own ``TF_CONFIG`` (cluster addresses and this worker's index). It must be
  created before TensorFlow runs any op, so :func:`make_strategy` is the first TF call of a run.

Each step's global batch (the preset's ``batch_size``) is split evenly across the replicas, and
Keras averages the per-replica losses, so a run means the same whatever the strategy.

Mixed precision computes in float16/bfloat16 and keeps variables in float32; the U-Net's sigmoid
output layer stays float32 (see :func:`training.unet.build_unet`) and Keras wraps the optimizer
in a ``LossScaleOptimizer`` for ``mixed_float16`` (``compile(auto_scale_loss=True)``, the
default), which :func:`check_precision` verifies.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from edge.errors import ConfigError

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = [
    "PRECISIONS",
    "STRATEGIES",
    "Precision",
    "StrategyName",
    "check_precision",
    "make_strategy",
    "set_precision",
    "shard",
]

log = logging.getLogger(__name__)

StrategyName = Literal["default", "mirrored", "multi-worker"]
Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]
STRATEGIES: tuple[StrategyName, ...] = ("default", "mirrored", "multi-worker")
PRECISIONS: tuple[Precision, ...] = ("float32", "mixed_float16", "mixed_bfloat16")


def make_strategy(name: StrategyName) -> tf.distribute.Strategy:
    """The strategy ``name``; models and optimizers must be built inside its ``scope()``."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")


def set_precision(precision: Precision) -> None:
    """Make ``precision`` Keras' global dtype policy (for every layer built after this call)."""
    import keras

    if precision not in PRECISIONS:
        raise ConfigError(
            f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}"
        )
    keras.mixed_precision.set_global_policy(precision)


def check_precision(model: keras.Model, precision: Precision) -> None:
    """Raise if the compiled ``model`` does not train as ``precision`` promises.

    The output must be float32 (a sigmoid in float16 saturates and its loss loses precision),
    and under ``mixed_float16`` the optimizer must scale the loss (float16 gradients underflow).
    """
    import keras

    out_dtype = keras.backend.standardize_dtype(model.outputs[0].dtype)
    if out_dtype != "float32":
        raise ConfigError(
            f"{model.name}: output is {out_dtype} under {precision}; expected float32"
        )
    scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    if precision == "mixed_float16" and not scaled:
        raise ConfigError(f"{model.name}: mixed_float16 without a LossScaleOptimizer")


def shard(ds: tf.data.Dataset, strategy: tf.distribute.Strategy) -> tf.data.Dataset:
    """``ds`` with its sharding stated: each worker keeps every n-th batch of the stream.

    The stream is a seeded Python generator, so there are no files to shard by (the auto policy
    would fall back to DATA with a warning); DATA means every worker generates the whole stream
    and keeps its share. Within one worker the replicas split each global batch.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    log.debug("input sharded by DATA over %d replicas", strategy.num_replicas_in_sync)
    return ds.with_options(options)
