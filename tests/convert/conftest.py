"""A tiny trained U-Net run and its four TFLite conversions, built once per test session.

The U-Net is :func:`training.unet.build_unet` at 64×64 with ``base_filters=8``, trained for a
few epochs on phantom frames to segment the *breast* masks (a large target, so the probability
maps and the masks are far from constant after seconds of training; ``base_filters=4`` and the
small lesion masks both collapse to a constant output in that budget). The run folder has the
files ``thermoseg-train fit`` writes (``model.keras``, ``config.json`` with ``preprocess``,
``summary.json``), and ``holdout`` holds fresh frames with the breast masks as ground truth.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.core.preprocess import PreprocessConfig, mask_to_model, to_model_input
from edge.io.readers import list_frame_files, read_frame, read_mask
from edge.phantom import write_dataset

SIZE = 64
PREPROCESS = PreprocessConfig(size=SIZE)
QUANTS = ("float32", "float16", "dynamic", "int8")


def _breast_dataset(root: Path, count: int, seed: int) -> Path:
    """Frames with masks/<stem>.png = breast masks (the tiny model's target)."""
    write_dataset(root, count=count, seed=seed)
    shutil.rmtree(root / "masks")
    (root / "breast").rename(root / "masks")
    return root


@pytest.fixture(scope="session")
def calib_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _breast_dataset(tmp_path_factory.mktemp("calib"), count=12, seed=11)


@pytest.fixture(scope="session")
def holdout_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _breast_dataset(tmp_path_factory.mktemp("holdout"), count=6, seed=12)


def model_inputs(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    files = list_frame_files(folder)
    x = np.stack([to_model_input(read_frame(p), PREPROCESS) for p in files])
    y = np.stack(
        [mask_to_model(read_mask(folder / "masks" / f"{p.stem}.png"), SIZE) for p in files]
    )
    return x, y


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, calib_dir: Path) -> Path:
    """runs/tiny/model.keras trained for a few epochs, with config.json and summary.json."""
    import keras

    from training.losses import bce_dice_loss
    from training.unet import build_unet

    x, y = model_inputs(calib_dir)
    keras.utils.set_random_seed(0)
    model = build_unet((SIZE, SIZE, 3), base_filters=8, dropout=0.0, name="tiny")
    model.compile(keras.optimizers.Adam(1e-3), loss=bce_dice_loss)
    model.fit(
        x.astype("float32"), y[..., None].astype("float32"), epochs=12, batch_size=4, verbose=0
    )
    run = tmp_path_factory.mktemp("runs") / "tiny"
    run.mkdir()
    model.save(run / "model.keras")
    config = {"preprocess": PREPROCESS.model_dump(), "preset": {"name": "tiny", "base_filters": 8}}
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (run / "summary.json").write_text(json.dumps({"best_val_dice": 0.5}), encoding="utf-8")
    return run / "model.keras"


@pytest.fixture(scope="session")
def converted(
    tmp_path_factory: pytest.TempPathFactory, tiny_run: Path, calib_dir: Path
) -> dict[str, Path]:
    """quant → the .tflite written by export_tflite (manifest beside it)."""
    from convert.export import export_tflite

    out = tmp_path_factory.mktemp("models")
    return dict(zip(QUANTS, export_tflite(tiny_run, QUANTS, out, calib=calib_dir), strict=True))
