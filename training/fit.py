"""One training run, top to bottom: preset, device, data, model, inputs, fit, run folder.

:func:`fit` reads as the steps of a run: resolve the preset (with its overrides), fix the seeds
and choose the devices, load the image/mask pairs (kept together, split by subject), build or
resume the model inside the strategy's scope, stream the training batches, train, then write
the final model and the summary. The command line is :func:`training.cli.main`.

Artefacts in ``out``: ``model.keras`` (the best epoch's model, float32 whatever the training
precision), ``best.keras``, ``last.keras``, ``state.json`` (resume point), ``history.csv``,
``tensorboard/`` (the same scalars as TensorBoard event files), ``config.json`` (seed, preset,
data hash, preprocessing, strategy, replicas, precision, versions: everything needed to
reproduce the run), ``summary.json`` and ``curves.png``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from edge.core.preprocess import PreprocessConfig
from edge.errors import ConfigError, DatasetError, MissingExtraError
from training.augment import AugmentConfig
from training.distribute import Precision, StrategyName
from training.presets import Preset, resolve_preset

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

    from training.callbacks import RunState
    from training.data import Pair, Sample

__all__ = ["FitConfig", "configure_runtime", "fit", "synthesize"]

log = logging.getLogger(__name__)


class FitConfig(BaseModel):
    """What ``thermoseg-train fit`` was asked to do."""

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(default="lite", description="name in training.presets.PRESETS")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="preset fields to override, validated by Preset"
    )
    out: Path = Field(description="run folder")
    data: Path | None = Field(default=None, description="dataset folder")
    synthetic: int | None = Field(default=None, ge=2, description="generate N phantom frames")
    seed: int = Field(default=0, description="seed for splits, augmentation and weights")
    resume: bool = Field(default=False, description="continue from last.keras + state.json")
    separator: str | None = Field(default=None, description="stem separator before the subject")
    threads: int = Field(default=0, ge=0, description="TF intra-op threads (0: all cores)")
    strategy: StrategyName = Field(default="default", description="tf.distribute strategy")
    precision: Precision = Field(default="float32", description="Keras dtype policy")
    preprocess: PreprocessConfig = Field(
        default_factory=lambda: PreprocessConfig.model_validate({})
    )
    augment: AugmentConfig = Field(default_factory=AugmentConfig)


@dataclass(frozen=True)
class Split:
    """The dataset of a run: its folder, layout, samples and the loaded train/val pairs."""

    folder: Path
    layout: str
    samples: list[Sample]
    train: list[Pair]
    val: list[Pair]


def configure_runtime(seed: int, threads: int = 0) -> str:
    """Seed everything, make ops deterministic, size TF's thread pools; returns the device used."""
    import keras
    import tensorflow as tf

    cores = os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads or cores)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, cores))
    except RuntimeError:  # TF already ran an op in this process (tests, notebooks): keep its pools
        log.debug("TensorFlow already initialised; thread pools left as they are")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    device = f"GPU ({len(gpus)}: {gpus[0].name})" if gpus else f"CPU ({threads or cores} threads)"
    log.info("training on %s", device)
    return device


def synthesize(folder: Path, count: int, seed: int) -> Path:
    """Write ``count`` phantom frames to ``folder`` (reused when already complete)."""
    from edge.phantom import write_dataset

    labels = folder / "labels.jsonl"
    if labels.is_file() and len(labels.read_text(encoding="utf-8").splitlines()) == count:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    write_dataset(folder, count, seed)
    return folder


def load_split(cfg: FitConfig, preset: Preset) -> Split:
    """Find the pairs, split them by subject (seeded), load both sides."""
    from training.data import discover, load_pairs, split_by_subject

    if cfg.synthetic is not None:
        folder = synthesize(cfg.out / "synthetic", cfg.synthetic, cfg.seed)
    elif cfg.data is not None:
        folder = cfg.data
    else:
        raise DatasetError("no data: pass --data FOLDER or --synthetic N")
    layout, samples = discover(folder, separator=cfg.separator)
    train, val = split_by_subject(samples, preset.val_fraction, cfg.seed)
    log.info("%s: %d train / %d val frames (%s layout)", folder, len(train), len(val), layout)
    return Split(folder, layout, samples, load_pairs(train), load_pairs(val))


def global_batch(preset: Preset, train_frames: int, replicas: int) -> int:
    """The preset's batch (capped by the training frames), checked to split over the replicas."""
    batch = min(preset.batch_size, train_frames)
    if batch % replicas:
        raise ConfigError(
            f"batch_size={batch} does not split over {replicas} replicas; "
            f"expected a multiple of {replicas} (it is the global batch)"
        )
    return batch


def build_model(cfg: FitConfig, preset: Preset) -> keras.Model:
    """The preset's U-Net, compiled with its optimizer, the BCE + Dice loss and the Dice metric."""
    from training.losses import DiceMetric, bce_dice_loss
    from training.presets import make_optimizer
    from training.unet import build_unet

    size = cfg.preprocess.size
    model = build_unet(
        (size, size, 3), preset.base_filters, dropout=preset.dropout, name=preset.name
    )
    model.compile(optimizer=make_optimizer(preset), loss=bce_dice_loss, metrics=[DiceMetric()])
    return model


def resume_point(cfg: FitConfig) -> tuple[dict[str, Any] | None, int]:
    """The saved state and the epoch to start at (None, 0 when starting afresh)."""
    from training.callbacks import read_state

    state = read_state(cfg.out) if cfg.resume else None
    if state and (cfg.out / "last.keras").is_file():
        _check_same_preprocess(cfg)
        log.info("resuming %s at epoch %d", cfg.out, int(state["epoch"]))
        return state, int(state["epoch"])
    if cfg.resume:
        log.warning("%s: nothing to resume (no state.json/last.keras); starting afresh", cfg.out)
    return None, 0


def _check_same_preprocess(cfg: FitConfig) -> None:
    """A resumed run must see the input it started with: its config.json (and so every manifest
    converted from it) records the first preprocessing only."""
    import json

    path = cfg.out / "config.json"
    if not path.is_file():
        return
    started: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["fit"]["preprocess"]
    now: dict[str, Any] = json.loads(cfg.preprocess.model_dump_json())
    changed = sorted(k for k in started.keys() | now.keys() if started.get(k) != now.get(k))
    if changed:
        raise ConfigError(
            f"{cfg.out}: --resume with other preprocessing ({', '.join(changed)}) than the run "
            f"started with; pass the same --preprocess values as {path} records, or start a new run"
        )


def training_stream(
    cfg: FitConfig, split: Split, batch: int, strategy: tf.distribute.Strategy, epoch: int
) -> tf.data.Dataset:
    """Shuffled, augmented global batches, sharded for the strategy; seeded by the start epoch."""
    from training.data import make_dataset
    from training.distribute import shard

    ds = make_dataset(
        split.train,
        cfg.preprocess,
        batch_size=batch,
        seed=cfg.seed + epoch,
        augmentation=cfg.augment,
    )
    return shard(ds, strategy)


def callbacks(
    out: Path, preset: Preset, state: dict[str, Any] | None, initial_epoch: int
) -> tuple[RunState, list[keras.callbacks.Callback]]:
    """The run state (checkpoints, early stop), and it with history.csv and TensorBoard."""
    import keras

    try:
        import tensorboard  # noqa: F401  (tf.summary's implementation)
    except ImportError as exc:
        raise MissingExtraError("tensorboard", "train", "TensorBoard logs of a run") from exc

    from training.callbacks import RunState

    run_state = RunState(out, patience=preset.patience, state=state)
    return run_state, [
        run_state,
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=initial_epoch > 0),
        keras.callbacks.TensorBoard(
            log_dir=str(out / "tensorboard"), write_graph=False, update_freq="epoch"
        ),
    ]


def fit(cfg: FitConfig) -> dict[str, Any]:
    """Train per ``cfg``; returns a summary (epochs run, best val Dice, seconds, paths)."""
    import keras

    from training.data import model_arrays
    from training.distribute import (
        check_precision,
        make_strategy,
        run_folder_for,
        set_precision,
    )
    from training.run_folder import finish_run, write_config

    # 1. What to train: the preset and its overrides, validated before anything heavy runs.
    preset = resolve_preset(cfg.preset, cfg.overrides)

    # 2. Where: seeds fixed, deterministic ops, the strategy (first TF op, as multi-worker
    #    requires) and the dtype policy for every layer built from here on.
    device = configure_runtime(cfg.seed, cfg.threads)
    strategy = make_strategy(cfg.strategy)
    replicas = int(strategy.num_replicas_in_sync)
    cfg = cfg.model_copy(update={"out": run_folder_for(strategy, cfg.out)})
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    previous_policy = keras.mixed_precision.global_policy().name
    set_precision(cfg.precision)
    try:
        # 3. Data: image/mask pairs loaded together, split by subject.
        split = load_split(cfg, preset)
        batch = global_batch(preset, len(split.train), replicas)
        steps = preset.steps_per_epoch or max(1, math.ceil(len(split.train) / batch))

        # 4. Model and optimizer, built (or resumed) inside the strategy's scope.
        state, initial_epoch = resume_point(cfg)
        with strategy.scope():
            if state:
                # The checkpoint names the custom loss and metric: register them first (a
                # fresh `fit --resume` process has not imported them yet).
                import training.losses  # noqa: F401

                model = keras.models.load_model(out / "last.keras")
            else:
                model = build_model(cfg, preset)
        check_precision(model, cfg.precision)
        write_config(
            cfg,
            preset,
            split,
            model,
            resumed_from=initial_epoch if state else None,
            device=device,
            replicas=replicas,
            batch=batch,
        )

        # 5. Inputs: the endless training stream and the fixed validation arrays.
        train_ds = training_stream(cfg, split, batch, strategy, initial_epoch)
        x_val, y_val = model_arrays(split.val, cfg.preprocess)

        # 6. Train.
        run_state, run_callbacks = callbacks(out, preset, state, initial_epoch)
        started = time.perf_counter()
        if initial_epoch < preset.epochs:
            model.fit(
                train_ds,
                epochs=preset.epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps,
                validation_data=(x_val.astype("float32"), y_val.astype("float32")),
                validation_batch_size=batch,
                shuffle=False,
                callbacks=run_callbacks,
                verbose=1 if sys.stdout.isatty() else 2,
            )
        seconds = time.perf_counter() - started

        # 7. The run folder's final model (float32), curves and summary.
        return finish_run(cfg, preset, model, run_state, seconds)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
