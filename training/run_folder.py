"""What a run leaves in its folder besides checkpoints: ``config.json``, ``model.keras``,
``curves.png`` and ``summary.json``."""

from __future__ import annotations

import json
import logging
import platform
import shutil
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

    from training.callbacks import RunState
    from training.fit import FitConfig, Split
    from training.presets import Preset

__all__ = ["finish_run", "float32_copy", "write_config"]

log = logging.getLogger(__name__)


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


def write_config(
    cfg: FitConfig,
    preset: Preset,
    split: Split,
    model: keras.Model,
    *,
    resumed_from: int | None,
    device: str,
    replicas: int,
    batch: int,
) -> None:
    """``config.json``: everything needed to reproduce the run; a resume is appended to it."""
    from training.data import data_hash

    samples = split.samples
    distribution = {
        "strategy": cfg.strategy,
        "replicas": replicas,
        "precision": cfg.precision,
        "global_batch": batch,
        "per_replica_batch": batch // replicas,
    }
    config: dict[str, Any] = {
        "preset": preset.model_dump(),
        "fit": json.loads(cfg.model_dump_json()),
        "data": {
            "folder": str(split.folder),
            "layout": split.layout,
            "frames": len(samples),
            "train_frames": len(split.train),
            "val_frames": len(split.val),
            "val_subjects": sorted({p.sample.subject for p in split.val}),
            "sha256": data_hash(samples),
        },
        "preprocess": cfg.preprocess.model_dump(),
        "parameters": int(model.count_params()),
        "device": device,
        "distribution": distribution,
        "versions": _versions(),
        "command": sys.argv,
    }
    path = cfg.out / "config.json"
    if resumed_from is not None and path.is_file():
        # A resumed run keeps the config that started it and records each resume after it.
        first = json.loads(path.read_text(encoding="utf-8"))
        resume = {
            "from_epoch": resumed_from,
            "preset": config["preset"],
            "augment": config["fit"]["augment"],  # a resume may change the augmentation
            "distribution": distribution,
            "command": sys.argv,
        }
        first.setdefault("resumes", []).append(resume)
        config = first
    path.write_text(json.dumps(config, indent=2, default=str), encoding="utf-8")


def float32_copy(model: keras.Model) -> keras.Model:
    """``model`` rebuilt under the float32 policy with the same weights (conversion wants it)."""
    import keras

    config = model.get_config()
    for layer in config["layers"]:
        layer["config"].pop("dtype", None)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        copy = keras.Model.from_config(config)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def finish_run(
    cfg: FitConfig, preset: Preset, model: keras.Model, run_state: RunState, seconds: float
) -> dict[str, Any]:
    """Write ``model.keras`` (the best epoch, float32), ``curves.png`` and ``summary.json``."""
    import keras

    from training.callbacks import read_state
    from training.plots import plot_history

    out = cfg.out
    best = out / "best.keras"
    if cfg.precision == "float32":
        if best.is_file():
            shutil.copyfile(best, out / "model.keras")
        else:
            model.save(out / "model.keras")
    else:
        trained = keras.models.load_model(best, compile=False) if best.is_file() else model
        float32_copy(trained).save(out / "model.keras")
    history_csv = out / "history.csv"
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
        "precision": cfg.precision,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("run %s: %s", out, summary)
    return summary
