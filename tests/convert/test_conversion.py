"""Keras → TFLite in all four modes: manifests, the TF-free device path, parity with Keras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge.io.manifest import read_manifest, sha256_bytes
from tests.convert.conftest import PREPROCESS, QUANTS, SIZE, model_inputs

HERE = Path(__file__).parent

# Parity limits per mode, as (minimum mask agreement, maximum mean |p_tflite - p_keras|).
# float32 is the same graph: only kernel summation order differs. float16 rounds the weights
# to 11 significant bits. dynamic quantises weights to int8 and each activation on the fly
# (per batch), so errors are ~1% of each layer's range; int8 also fixes every activation range
# from calibration and outputs probabilities in steps of 1/256, so it is the loosest.
# Disagreement can only sit at pixels whose probability is near the threshold. Measured on
# this fixture: agreement 1.0 / 0.99996 / 0.9988 / 0.9973, MAE 2e-8 / 2e-5 / 5e-4 / 4e-3.
PARITY = {
    "float32": (0.999, 1e-5),
    "float16": (0.995, 1e-3),
    "dynamic": (0.98, 0.01),
    "int8": (0.98, 0.02),
}


@pytest.fixture(scope="module")
def holdout_inputs(holdout_dir: Path) -> np.ndarray:
    return model_inputs(holdout_dir)[0]


@pytest.fixture(scope="module")
def keras_probs(tiny_run: Path, holdout_inputs: np.ndarray) -> np.ndarray:
    import keras

    model = keras.saving.load_model(tiny_run, compile=False)
    return np.asarray(model.predict(holdout_inputs.astype("float32"), verbose=0))[..., 0]


@pytest.fixture(scope="module")
def device_outputs(
    converted: dict[str, Path], holdout_inputs: np.ndarray, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, np.ndarray]:
    """Every converted model run by a subprocess in which TensorFlow cannot be imported."""
    tmp = tmp_path_factory.mktemp("device")
    np.save(tmp / "inputs.npy", holdout_inputs)
    models = [str(converted[q]) for q in QUANTS]
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "no_tf_segment.py"),
            str(tmp / "out.npz"),
            str(tmp / "inputs.npy"),
            *models,
        ],
        capture_output=True,
        text=True,
        cwd=HERE.parent.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(tmp / "out.npz") as npz:
        return {key: npz[key] for key in npz.files}


def test_the_tiny_trained_model_gives_non_trivial_masks(keras_probs: np.ndarray) -> None:
    # Otherwise parity would hold trivially (an all-0 mask agrees with any near-0 map).
    fraction = float(np.mean(keras_probs > 0.5))
    assert 0.05 < fraction < 0.95
    assert float(np.std(keras_probs)) > 0.1


@pytest.mark.parametrize("quant", QUANTS)
def test_manifest_records_hash_tensors_preprocessing_run_and_versions(
    converted: dict[str, Path], quant: str
) -> None:
    import keras
    import tensorflow as tf

    path = converted[quant]
    assert path.name == f"tiny-{quant}.tflite"
    manifest = read_manifest(path.with_suffix(".json"))
    assert manifest.sha256 == sha256_bytes(path.read_bytes())
    assert manifest.size_bytes == path.stat().st_size
    assert manifest.quant == quant and manifest.name == f"tiny-{quant}"
    assert manifest.input.shape == [1, SIZE, SIZE, 3]
    assert manifest.output.shape == [1, SIZE, SIZE, 1]
    assert manifest.preprocess == PREPROCESS
    assert manifest.training.run_id == "tiny"
    assert manifest.training.config is not None
    assert manifest.training.config["preset"]["base_filters"] == 8
    assert manifest.metrics == {"best_val_dice": 0.5}
    assert manifest.converter.tensorflow == tf.__version__
    assert manifest.converter.keras == keras.__version__
    assert "screening aid" in manifest.disclaimer.lower()


def test_float_modes_keep_float_io_and_int8_takes_rgb_bytes(converted: dict[str, Path]) -> None:
    for quant in ("float32", "float16", "dynamic"):
        manifest = read_manifest(converted[quant].with_suffix(".json"))
        assert (manifest.input.dtype, manifest.output.dtype) == ("float32", "float32")
        assert manifest.converter.calibration_frames == 0
    int8 = read_manifest(converted["int8"].with_suffix(".json"))
    assert (int8.input.dtype, int8.output.dtype) == ("uint8", "uint8")
    # Rescaling(1/255) inside the model makes 0..255 the input range: uint8 maps 1:1.
    assert int8.input.scale == pytest.approx(1.0, rel=1e-3) and int8.input.zero_point == 0
    assert int8.output.scale == pytest.approx(1 / 256) and int8.output.zero_point == 0
    assert int8.converter.calibration_frames == 13  # 12 frames + the palette ramp


def test_quantised_files_are_smaller_than_float32(converted: dict[str, Path]) -> None:
    size = {q: converted[q].stat().st_size for q in QUANTS}
    assert size["float16"] < size["float32"]
    assert size["dynamic"] < size["float16"]
    assert size["int8"] < size["float16"]


@pytest.mark.parametrize("quant", QUANTS)
def test_device_wrapper_without_tensorflow_matches_keras(
    device_outputs: dict[str, np.ndarray], keras_probs: np.ndarray, quant: str
) -> None:
    prob = device_outputs[f"tiny-{quant}/prob"]
    mask = device_outputs[f"tiny-{quant}/mask"]
    assert prob.shape == keras_probs.shape and prob.dtype == np.float32
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    np.testing.assert_array_equal(mask, (prob > 0.5).astype(np.uint8))
    min_agreement, max_mae = PARITY[quant]
    agreement = float(np.mean(mask == (keras_probs > 0.5)))
    mae = float(np.mean(np.abs(prob - keras_probs)))
    assert agreement >= min_agreement, f"{quant}: mask agreement {agreement:.4f}"
    assert mae <= max_mae, f"{quant}: probability MAE {mae:.5f}"
    described = json.loads(str(device_outputs[f"tiny-{quant}/describe"]))
    assert described["segmenter"] == "tflite" and described["quant"] == quant
    assert described["model"] == f"tiny-{quant}"
