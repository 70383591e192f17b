"""Training for real: a tiny U-Net learns, saves, reloads; the CLI writes every artefact."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge.core.preprocess import PreprocessConfig
from edge.phantom import write_dataset
from training.cli import main
from training.data import discover, load_pairs, make_dataset


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A base-4 U-Net on 64×64 phantom inputs, trained 12 steps on one fixed batch."""
    import keras

    from training.fit import configure_runtime
    from training.losses import DiceMetric, bce_dice_loss
    from training.unet import build_unet

    root = tmp_path_factory.mktemp("tiny")
    write_dataset(root / "data", 8, 21)
    _, samples = discover(root / "data")
    cfg = PreprocessConfig(size=64)
    x, y = next(make_dataset(load_pairs(samples), cfg, batch_size=8, seed=0).as_numpy_iterator())
    configure_runtime(seed=0, threads=2)
    model = build_unet((64, 64, 3), base_filters=4)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=bce_dice_loss, metrics=[DiceMetric()])
    history = model.fit(x, y, batch_size=8, epochs=12, shuffle=False, verbose=0)
    path = root / "tiny.keras"
    model.save(path)
    return {"model": model, "losses": history.history["loss"], "x": x, "path": path}


def test_tiny_unet_loss_falls_while_training(trained: dict) -> None:
    losses = trained["losses"]
    assert losses[-1] < losses[0] - 0.05, losses


def test_saved_model_reloads_and_predicts_the_same(trained: dict) -> None:
    import keras

    reloaded = keras.models.load_model(trained["path"], compile=False)
    x = trained["x"]
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), trained["model"].predict(x, verbose=0), atol=1e-6
    )


FIT_ARGV = [
    "fit",
    "--preset",
    "lite",
    "--synthetic",
    "8",
    "--epochs",
    "1",
    "--steps-per-epoch",
    "2",
    "--base-filters",
    "2",
    "--batch-size",
    "2",
    "--set",
    "dropout=0.1",
    "--set",
    "optimizer=sgd",
    "--set",
    "momentum=0.5",
]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder written by ``thermoseg-train fit`` on 8 generated frames."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main([*FIT_ARGV, "--out", str(out)]) == 0
    return out


def test_cli_fit_on_synthetic_frames_writes_every_artefact(cli_run: Path) -> None:
    for name in (
        "model.keras",
        "best.keras",
        "last.keras",
        "history.csv",
        "config.json",
        "curves.png",
        "state.json",
    ):
        assert (cli_run / name).is_file(), name
    config = json.loads((cli_run / "config.json").read_text())
    assert config["fit"]["seed"] == 0 and config["preset"]["name"] == "lite"
    assert len(config["data"]["sha256"]) == 64 and config["versions"]["tensorflow"]
    assert config["preprocess"]["size"] == 128
    preset = config["preset"]
    assert (preset["dropout"], preset["optimizer"], preset["momentum"]) == (0.1, "sgd", 0.5)
    assert (preset["epochs"], preset["base_filters"], preset["batch_size"]) == (1, 2, 2)
    assert config["distribution"] == {
        "strategy": "default",
        "replicas": 1,
        "precision": "float32",
        "global_batch": 2,
        "per_replica_batch": 2,
    }
    with (cli_run / "history.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1 and {"loss", "dice", "val_loss", "val_dice"} <= set(rows[0])


def _scalars(folder: Path) -> dict[str, list[float]]:
    """Every scalar in the TensorBoard event files under ``folder``, by tag, in step order."""
    import tensorflow as tf

    scalars: dict[str, list[float]] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append(float(tf.make_ndarray(value.tensor)))
    return scalars


def test_cli_fit_writes_tensorboard_scalars_matching_history_csv(cli_run: Path) -> None:
    train = _scalars(cli_run / "tensorboard" / "train")
    val = _scalars(cli_run / "tensorboard" / "validation")
    with (cli_run / "history.csv").open() as fh:
        row = next(csv.DictReader(fh))
    assert train["epoch_loss"] == pytest.approx([float(row["loss"])], rel=1e-5)
    assert train["epoch_dice"] == pytest.approx([float(row["dice"])], rel=1e-5, abs=1e-7)
    assert val["epoch_loss"] == pytest.approx([float(row["val_loss"])], rel=1e-5)
    assert "epoch_learning_rate" in train


def _resume_to_epoch_2(cli_run: Path, run: Path) -> list[str]:
    """A copy of the one-epoch CLI run at ``run`` and the argv that resumes it to epoch 2."""
    shutil.copytree(cli_run, run)
    argv = [*FIT_ARGV, "--out", str(run), "--resume"]
    argv[argv.index("--epochs") + 1] = "2"
    return argv


def test_cli_resume_continues_at_the_last_epoch_and_appends_history(
    cli_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "resumed"
    argv = _resume_to_epoch_2(cli_run, run)
    assert main(argv) == 0
    with (run / "history.csv").open() as fh:
        assert [r["epoch"] for r in csv.DictReader(fh)] == ["0", "1"]
    assert json.loads((run / "state.json").read_text())["epoch"] == 2
    assert len(_scalars(run / "tensorboard" / "train")["epoch_loss"]) == 2  # epoch 2 added
    config = json.loads((run / "config.json").read_text())
    assert config["resumes"][0]["augment"] == config["fit"]["augment"]


def test_resume_with_other_preprocessing_is_refused_naming_the_field(
    cli_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # config.json (and every manifest converted from the run) records the first preprocessing:
    # a resume that fed the model another input would make them wrong.
    run = tmp_path / "other-input"
    argv = [*_resume_to_epoch_2(cli_run, run), "--preprocess", 'encoding="delta"']
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "other preprocessing (encoding)" in err and str(run) in err
    assert json.loads((run / "state.json").read_text())["epoch"] == 1  # nothing trained


def test_resume_works_in_a_fresh_process_where_nothing_registered_the_loss_yet(
    cli_run: Path, tmp_path: Path
) -> None:
    # The in-process resume test above runs after training imported the custom loss; a user's
    # `thermoseg-train fit --resume` starts from nothing, so the checkpoint must still load.
    run = tmp_path / "fresh"
    argv = _resume_to_epoch_2(cli_run, run)
    code = "import sys; from training.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((run / "state.json").read_text())["epoch"] == 2


def test_cli_rejects_a_folder_that_is_not_a_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nothing").mkdir()
    assert main(["fit", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 1
    assert "empty folder" in capsys.readouterr().err


def test_help_does_not_import_tensorflow() -> None:
    code = "import sys; from training.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\nprint('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "Screening aid" in result.stdout
    assert result.stdout.strip().endswith("False")


def test_cli_evaluate_writes_one_table_json_and_figure_for_every_method(
    cli_run: Path, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "holdout", 5, 99)
    out = tmp_path / "assessment.md"
    argv = [
        "evaluate",
        str(cli_run),
        "--codebook",
        "--data",
        str(tmp_path / "holdout"),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    table = out.read_text()
    assert "| codebook |" in table and "| lite (run) |" in table
    report = json.loads(out.with_suffix(".json").read_text())
    assert [r["method"] for r in report["rows"]] == ["codebook", "lite (run)"]
    assert all(r["frames"] == 5 and r["latency_ms_median"] > 0 for r in report["rows"])
    assert out.with_suffix(".png").stat().st_size > 0
