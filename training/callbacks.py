"""The run's bookkeeping callback: best checkpoint, last checkpoint, early stopping, resume state.

One callback owns all of it so that a resumed run continues with the same best score and
patience counter it stopped with (Keras' own ``EarlyStopping`` and ``ModelCheckpoint`` forget
both at ``on_train_begin``).

Files in the run folder:

* ``best.keras``: the model at the epoch with the best monitored value;
* ``last.keras``: the model (with optimizer state) after the latest epoch;
* ``state.json``: ``{"epoch", "best", "best_epoch", "wait"}`` for ``--resume``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import keras

__all__ = ["RunState", "read_state"]

log = logging.getLogger(__name__)


def read_state(run_dir: Path) -> dict[str, Any] | None:
    """The saved ``state.json`` of a run folder, or None when it has none."""
    path = run_dir / "state.json"
    if not path.is_file():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


class RunState(keras.callbacks.Callback):
    """Checkpoint best and last, stop after ``patience`` epochs without a gain in ``monitor``."""

    def __init__(
        self,
        run_dir: Path,
        monitor: str = "val_dice",
        mode: str = "max",
        patience: int = 6,
        min_delta: float = 1e-4,
        state: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.patience = patience
        self.min_delta = min_delta
        state = state or {}
        self.best: float = float(state.get("best", -math.inf * self.sign))
        self.best_epoch: int = int(state.get("best_epoch", -1))
        self.wait: int = int(state.get("wait", 0))
        self.stopped_early = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            raise KeyError(f"monitor {self.monitor!r} not in epoch logs {sorted(logs)}")
        value = float(value)
        if self.sign * (value - self.best) > self.min_delta or self.best_epoch < 0:
            log.info(
                "epoch %d: %s improved %.4f -> %.4f", epoch + 1, self.monitor, self.best, value
            )
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.model.save(self.run_dir / "best.keras")
        else:
            self.wait += 1
        self.model.save(self.run_dir / "last.keras")
        state = {
            "epoch": epoch + 1,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
        }
        (self.run_dir / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        if self.wait >= self.patience:
            log.info("no %s gain for %d epochs: stopping", self.monitor, self.wait)
            self.stopped_early = True
            self.model.stop_training = True
