"""Where training runs: the ``tf.distribute`` strategy, the mixed-precision policy, input sharding.

* ``default``: TensorFlow's default strategy, one device (the first GPU, else the CPU).
* ``mirrored``: synchronous data parallelism over every local GPU; on a machine without GPUs,
  over every logical CPU device (tests split the CPU into two to exercise it).
* ``multi-worker``: synchronous data parallelism over several machines, each running the same
  command with its own ``TF_CONFIG`` (cluster addresses and this worker's index). It must be
  created before TensorFlow runs any op, so :func:`make_strategy` is the first TF call of a run.
  Keras 3 cannot yet ``fit`` across workers (keras-team/keras#20585): with more than one worker
  in ``TF_CONFIG`` this raises :class:`ConfigError` rather than failing inside ``fit``; without
  ``TF_CONFIG`` it runs as one worker.

Each step's global batch (the preset's ``batch_size``) is split evenly across the replicas, and
Keras averages the per-replica losses, so a run means the same whatever the strategy.

Mixed precision computes in float16/bfloat16 and keeps variables in float32; the U-Net's sigmoid
output layer stays float32 (see :func:`training.unet.build_unet`) and Keras wraps the optimizer
in a ``LossScaleOptimizer`` for ``mixed_float16`` (``compile(auto_scale_loss=True)``, the
default), which :func:`check_precision` verifies.
"""

from __future__ import annotations

import logging
from pathlib import Path
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
    "run_folder_for",
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
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        spec = strategy.cluster_resolver.cluster_spec().as_dict()
        workers = len(spec.get("worker", [])) + len(spec.get("chief", []))
        if workers > 1:
            # Tried on loopback with two workers (Keras 3.15, TF 2.21): model.fit fails before
            # the first step reducing a PerReplica input batch (keras-team/keras#20585).
            raise ConfigError(
                f"--strategy multi-worker over {workers} workers (TF_CONFIG): Keras "
                f"{keras_version()} cannot train across workers yet (keras-team/keras#20585); "
                "use --strategy mirrored on one machine"
            )
        return strategy
    raise ConfigError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")


def run_folder_for(strategy: tf.distribute.Strategy, out: Path) -> Path:
    """``out`` on the chief; a ``worker-N`` folder inside it on the other workers.

    Every multi-worker process runs the whole of ``fit`` (saving included, since saving reads
    the replicated variables together); only the chief's files are the run's.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if resolver is None or task_type is None:
        return out
    task_id = int(resolver.task_id or 0)
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    if task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief):
        return out
    return out / f"{task_type}-{task_id}"


def keras_version() -> str:
    import keras

    return str(keras.__version__)


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
