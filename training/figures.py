"""The paper's Figs. 2–4 as one grid: a normal subject and one abnormal subject per stage (rows);
input palette image, ground truth and each method's mask (columns)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from edge.core.preprocess import PreprocessConfig, colorize, to_model_input
from edge.io.readers import read_frame, read_mask
from training.data import Sample

__all__ = ["figure_rows", "plot_grid"]

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("normal", "initial", "middle", "advanced")


def figure_rows(samples: Sequence[Sample]) -> list[tuple[str, int]]:
    """(row label, sample index): the first frame of each stage present, in stage order.

    Without stage labels (generic folders) the first normal frame (empty mask) and the first
    three abnormal ones are used.
    """
    rows: list[tuple[str, int]] = []
    if any(s.stage for s in samples):
        for stage in STAGES:
            hit = next((i for i, s in enumerate(samples) if s.stage == stage), None)
            if hit is not None:
                rows.append((f"{stage} ({samples[hit].subject})", hit))
        return rows
    normal = [i for i, s in enumerate(samples) if not read_mask(s.mask).any()]
    abnormal = [i for i, s in enumerate(samples) if read_mask(s.mask).any()]
    rows += [(f"normal ({samples[i].subject})", i) for i in normal[:1]]
    rows += [(f"abnormal ({samples[i].subject})", i) for i in abnormal[:3]]
    return rows


def plot_grid(
    samples: Sequence[Sample],
    rows: Sequence[tuple[str, int]],
    preprocess: PreprocessConfig,
    masks: Mapping[str, Mapping[int, np.ndarray]],
    out_png: Path,
) -> Path:
    """Draw the grid; ``masks[method][sample index]`` are masks at the input resolution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = ["input", "ground truth", *masks]
    fig, axes = plt.subplots(
        max(1, len(rows)),
        len(columns),
        figsize=(2.2 * len(columns), 1.9 * max(1, len(rows))),
        squeeze=False,
        constrained_layout=True,
    )
    for r, (label, index) in enumerate(rows):
        frame = read_frame(samples[index].image)
        celsius = frame.celsius()
        if celsius is not None:
            image = colorize(celsius, preprocess.palette, preprocess.t_min, preprocess.t_max)
        else:
            image = to_model_input(frame, preprocess)
        panels = [image, read_mask(samples[index].mask)]
        panels += [masks[m].get(index, np.zeros(frame.shape, np.uint8)) for m in masks]
        for c, panel in enumerate(panels):
            ax = axes[r][c]
            ax.imshow(
                panel,
                cmap=None if panel.ndim == 3 else "gray",
                vmin=0,
                vmax=1 if panel.ndim == 2 else None,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(columns[c], fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle("Abnormally warm regions (screening aid, not a diagnosis)", fontsize=9)
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    log.info("wrote %s", out_png)
    return out_png
