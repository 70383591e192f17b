"""Loss and Dice curves of a run, from its ``history.csv`` (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

__all__ = ["plot_history"]

log = logging.getLogger(__name__)


def plot_history(history_csv: Path, out_png: Path, title: str = "") -> Path:
    """Two panels (loss; Dice) of train and validation curves per epoch; returns ``out_png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with history_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, key in zip(axes, ("loss", "dice"), strict=True):
        for prefix, style in (("", "-"), ("val_", "--")):
            name = prefix + key
            if rows and name in rows[0]:
                ax.plot(epochs, [float(r[name]) for r in rows], style, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title or history_csv.parent.name)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    log.info("wrote %s", out_png)
    return out_png
