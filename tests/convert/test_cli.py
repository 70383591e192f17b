"""``thermoseg-convert tflite`` and ``verify`` end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convert.cli import EXIT_PARITY_FAILED, main
from edge.io.manifest import read_manifest
from tests.convert.conftest import PREPROCESS, SIZE


@pytest.fixture(scope="module")
def cli_models(tiny_run: Path, calib_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-models")
    argv = ["tflite", str(tiny_run), "--quant", "int8", "--quant", "float32"]
    assert main([*argv, "--calib", str(calib_dir), "--out", str(out)]) == 0
    return out


def test_tflite_command_writes_model_and_manifest_per_quant(cli_models: Path) -> None:
    for quant in ("int8", "float32"):
        model = cli_models / f"tiny-{quant}.tflite"
        assert model.is_file()
        manifest = read_manifest(model.with_suffix(".json"))
        assert manifest.quant == quant and manifest.preprocess == PREPROCESS


def test_int8_manifest_names_the_range_rewrite_and_the_flag_turns_it_off(
    cli_models: Path, tiny_run: Path, calib_dir: Path, tmp_path: Path
) -> None:
    rewritten = read_manifest(cli_models / "tiny-int8.json").converter.method
    argv = ["tflite", str(tiny_run), "--quant", "int8", "--no-int8-rewrite"]
    assert main([*argv, "--calib", str(calib_dir), "--out", str(tmp_path)]) == 0
    plain = read_manifest(tmp_path / "tiny-int8.json").converter.method
    assert rewritten != plain and "0.9999" in rewritten


def test_int8_without_calibration_folder_is_a_user_error(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["tflite", str(tiny_run), "--quant", "int8", "--out", str(tmp_path)])
    assert code == 1
    assert "--quant int8 needs --calib" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_missing_keras_model_is_a_user_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "runs" / "none" / "model.keras"
    assert main(["tflite", str(missing), "--quant", "float32", "--out", str(tmp_path)]) == 1
    assert f"{missing}: Keras model not found" in capsys.readouterr().err


def test_verify_reports_agreement_dice_and_latency_and_passes(
    cli_models: Path,
    tiny_run: Path,
    holdout_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_path = tmp_path / "report.json"
    argv = ["verify", str(cli_models / "tiny-int8.tflite"), "--against", str(tiny_run)]
    code = main([*argv, "--data", str(holdout_dir), "--json", str(report_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    for label in ("mask agreement", "Dice TFLite", "Dice Keras", "latency TFLite", "PASS"):
        assert label in out
    report = json.loads(report_path.read_text())
    assert report["frames"] == 6 and report["quant"] == "int8" and report["passed"] is True
    # The tiny model learned its target: both Dice scores are far from an empty mask's 0.
    assert report["dice_keras"] > 0.5 and report["dice_tflite"] > 0.5


def test_verify_fails_with_its_own_exit_code_when_tflite_dice_drops(
    cli_models: Path,
    tiny_run: Path,
    holdout_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An untrained network's conversion checked against the trained Keras model.
    import keras

    from training.unet import build_unet

    keras.utils.set_random_seed(1)
    run = tmp_path / "untrained"
    run.mkdir()
    build_unet((SIZE, SIZE, 3), base_filters=8, dropout=0.0).save(run / "model.keras")
    shutil.copyfile(tiny_run.parent / "config.json", run / "config.json")
    assert (
        main(["tflite", str(run / "model.keras"), "--quant", "float32", "--out", str(tmp_path)])
        == 0
    )
    argv = ["verify", str(tmp_path / "untrained-float32.tflite"), "--against", str(tiny_run)]
    code = main([*argv, "--data", str(holdout_dir), "--tolerance", "0.01"])
    out = capsys.readouterr().out
    assert code == EXIT_PARITY_FAILED, out
    assert "FAIL" in out


def test_verify_needs_ground_truth_masks(
    cli_models: Path,
    tiny_run: Path,
    holdout_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    first = sorted(holdout_dir.glob("*.npy"))[0]
    shutil.copyfile(first, frames / first.name)
    argv = ["verify", str(cli_models / "tiny-float32.tflite"), "--against", str(tiny_run)]
    assert main([*argv, "--data", str(frames)]) == 1
    assert (
        f"ground truth {frames / 'masks' / (first.stem + '.png')} is missing"
        in capsys.readouterr().err
    )


def test_convert_without_tensorflow_names_the_train_extra(tmp_path: Path) -> None:
    script = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from convert.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    model = tmp_path / "runs" / "x" / "model.keras"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"not used")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "tflite",
            str(model),
            "--quant",
            "float32",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "tensorflow is not installed" in proc.stderr
    assert "thermoseg[train]" in proc.stderr
