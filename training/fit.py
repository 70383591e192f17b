"""One training run: data, model, optimizer, callbacks and every artefact of the run folder.

Artefacts in ``out``: ``model.keras`` (the best epoch's model), ``best.keras``, ``last.keras``,
``state.json`` (resume point), ``history.csv``, ``config.json`` (seed, preset, data hash,
preprocessing, versions: everything needed to reproduce the run) and ``curves.png``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edge.core.preprocess import PreprocessConfig
from edge.errors import DatasetError
from training.augment import AugmentConfig
from training.presets import PRESETS, Preset

__all__ = ["FitConfig", "configure_runtime", "fit", "resolve_preset", "synthesize"]

log = logging.getLogger(__name__)


class FitConfig(BaseModel):
    """What ``thermoseg-train fit`` was asked to do (preset overrides are None when unset)."""

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(default="lite", description="name in training.presets.PRESETS")
    out: Path = Field(description="run folder")
    data: Path | None = Field(default=None, description="dataset folder")
    synthetic: int | None = Field(default=None, ge=2, description="generate N phantom frames")
    seed: int = Field(default=0, description="seed for splits, augmentation and weights")
    resume: bool = Field(default=False, description="continue from last.keras + state.json")
    separator: str | None = Field(default=None, description="stem separator before the subject")
    epochs: int | None = None
    batch_size: int | None = None
    base_filters: int | None = None
    steps_per_epoch: int | None = None
    val_fraction: float | None = None
    patience: int | None = None
    learning_rate: float | None = None
    threads: int = Field(default=0, ge=0, description="TF intra-op threads (0: all cores)")
    preprocess: PreprocessConfig = Field(
        default_factory=lambda: PreprocessConfig.model_validate({})
    )
    augment: AugmentConfig = Field(default_factory=AugmentConfig)


def resolve_preset(cfg: FitConfig) -> Preset:
    """The preset with the command line's overrides applied."""
    if cfg.preset not in PRESETS:
        raise DatasetError(f"unknown preset {cfg.preset!r}; expected one of {', '.join(PRESETS)}")
    fields = ("epochs", "batch_size", "base_filters", "steps_per_epoch", "val_fraction", "patience")
    overrides = {
        k: getattr(cfg, k) for k in (*fields, "learning_rate") if getattr(cfg, k) is not None
    }
    return PRESETS[cfg.preset].model_copy(update=overrides)


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
    device = f"GPU ({gpus[0].name})" if gpus else f"CPU ({threads or cores} threads)"
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


def _versions() -> dict[str, str]:
    import cv2
    import keras
    import numpy as np
    import tensorflow as tf

    import edge

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "thermoseg": edge.__version__,
    }


def fit(cfg: FitConfig) -> dict[str, Any]:
    """Train per ``cfg``; returns a summary (epochs run, best val Dice, seconds, paths)."""
    from training.callbacks import RunState, read_state
    from training.data import (
        data_hash,
        discover,
        load_pairs,
        make_dataset,
        model_arrays,
        split_by_subject,
    )
    from training.losses import DiceMetric, bce_dice_loss
    from training.plots import plot_history
    from training.presets import make_optimizer
    from training.unet import build_unet

    preset = resolve_preset(cfg)
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    device = configure_runtime(cfg.seed, cfg.threads)
    import keras

    if cfg.synthetic is not None:
        data = synthesize(out / "synthetic", cfg.synthetic, cfg.seed)
    elif cfg.data is not None:
        data = cfg.data
    else:
        raise DatasetError("no data: pass --data FOLDER or --synthetic N")
    layout, samples = discover(data, separator=cfg.separator)
    train_s, val_s = split_by_subject(samples, preset.val_fraction, cfg.seed)
    train_pairs, val_pairs = load_pairs(train_s), load_pairs(val_s)
    log.info("%s: %d train / %d val frames (%s layout)", data, len(train_s), len(val_s), layout)
    batch = min(preset.batch_size, len(train_pairs))
    steps = preset.steps_per_epoch or max(1, math.ceil(len(train_pairs) / batch))

    state = read_state(out) if cfg.resume else None
    initial_epoch = int(state["epoch"]) if state else 0
    if state and (out / "last.keras").is_file():
        model = keras.models.load_model(out / "last.keras")
        log.info("resuming %s at epoch %d", out, initial_epoch)
    else:
        if cfg.resume:
            log.warning("%s: nothing to resume (no state.json/last.keras); starting afresh", out)
        state, initial_epoch = None, 0
        size = cfg.preprocess.size
        model = build_unet(
            (size, size, 3), preset.base_filters, dropout=preset.dropout, name=preset.name
        )
        model.compile(optimizer=make_optimizer(preset), loss=bce_dice_loss, metrics=[DiceMetric()])

    config = {
        "preset": preset.model_dump(),
        "fit": json.loads(cfg.model_dump_json()),
        "data": {
            "folder": str(data),
            "layout": layout,
            "frames": len(samples),
            "train_frames": len(train_s),
            "val_frames": len(val_s),
            "val_subjects": sorted({s.subject for s in val_s}),
            "sha256": data_hash(samples),
        },
        "preprocess": cfg.preprocess.model_dump(),
        "parameters": int(model.count_params()),
        "device": device,
        "versions": _versions(),
        "command": sys.argv,
    }
    config_path = out / "config.json"
    if state and config_path.is_file():
        # A resumed run keeps the config that started it and records each resume after it.
        first = json.loads(config_path.read_text(encoding="utf-8"))
        resume = {"from_epoch": initial_epoch, "preset": config["preset"], "command": sys.argv}
        first.setdefault("resumes", []).append(resume)
        config = first
    config_path.write_text(json.dumps(config, indent=2, default=str), encoding="utf-8")

    train_ds = make_dataset(
        train_pairs,
        cfg.preprocess,
        batch_size=batch,
        seed=cfg.seed + initial_epoch,
        augmentation=cfg.augment,
    )
    x_val, y_val = model_arrays(val_pairs, cfg.preprocess)
    run_state = RunState(out, patience=preset.patience, state=state)
    history_csv = out / "history.csv"
    callbacks = [keras.callbacks.CSVLogger(str(history_csv), append=initial_epoch > 0), run_state]
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
            callbacks=callbacks,
            verbose=1 if sys.stdout.isatty() else 2,
        )
    seconds = time.perf_counter() - started
    best = out / "best.keras"
    if best.is_file():
        shutil.copyfile(best, out / "model.keras")
    else:
        model.save(out / "model.keras")
    if history_csv.is_file():
        plot_history(history_csv, out / "curves.png", f"{preset.name} (base {preset.base_filters})")
    summary = {
        "run": str(out),
        "best_val_dice": run_state.best,
        "best_epoch": run_state.best_epoch + 1,
        "epochs_run": (read_state(out) or {}).get("epoch", 0),
        "train_seconds": round(seconds, 1),
        "stopped_early": run_state.stopped_early,
        "parameters": int(model.count_params()),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("run %s: %s", out, summary)
    return summary
