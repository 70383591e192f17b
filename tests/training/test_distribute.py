"""Distribution and precision on this CPU: two logical devices, mixed precision, TensorBoard."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from edge.core.preprocess import PreprocessConfig
from training.fit import FitConfig, fit

# A base-4 U-Net at 32×32 for a handful of one-step epochs: enough to see a loss curve.
TINY = {"base_filters": 4, "dropout": 0.0, "batch_size": 4, "steps_per_epoch": 1, "patience": 9}

# The CPU split into two logical devices must happen before TensorFlow starts, so the
# comparison runs in its own process (the test process's TensorFlow is already initialised).
TWO_CPUS = textwrap.dedent(
    """
    import csv, json, sys
    from pathlib import Path
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from edge.core.preprocess import PreprocessConfig
    from training.fit import FitConfig, fit
    root, overrides = Path(sys.argv[1]), json.loads(sys.argv[2])
    result = {}
    for strategy in ("default", "mirrored"):
        cfg = FitConfig(preset="unet-sgd", overrides=overrides, out=root / strategy, synthetic=12,
                        seed=3, threads=1, strategy=strategy, preprocess=PreprocessConfig(size=32))
        fit(cfg)
        with (root / strategy / "history.csv").open() as fh:
            losses = [float(row["loss"]) for row in csv.DictReader(fh)]
        config = json.loads((root / strategy / "config.json").read_text())
        result[strategy] = {"losses": losses, "distribution": config["distribution"]}
    print("RESULT " + json.dumps(result))
    """
)

# Per-epoch training loss of the two-replica run vs the one-device run, same seed, same global
# batch. They differ only because the soft Dice term is pooled over each replica's half of the
# batch and the gradient sum runs in another order: measured ≤ 0.004 over these five epochs.
LOSS_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def two_device_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mirrored")
    overrides = json.dumps({**TINY, "epochs": 5})
    proc = subprocess.run(
        [sys.executable, "-c", TWO_CPUS, str(root), overrides],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, dict] = json.loads(line.removeprefix("RESULT "))
    return result


def test_mirrored_over_two_cpus_records_two_replicas_splitting_the_global_batch(
    two_device_runs: dict[str, dict],
) -> None:
    assert two_device_runs["default"]["distribution"] == {
        "strategy": "default",
        "replicas": 1,
        "precision": "float32",
        "global_batch": 4,
        "per_replica_batch": 4,
    }
    assert two_device_runs["mirrored"]["distribution"]["replicas"] == 2
    assert two_device_runs["mirrored"]["distribution"]["per_replica_batch"] == 2


def test_mirrored_loss_curve_matches_one_device_within_tolerance(
    two_device_runs: dict[str, dict],
) -> None:
    one = two_device_runs["default"]["losses"]
    two = two_device_runs["mirrored"]["losses"]
    assert len(one) == len(two) == 5
    # SGD (not Adam, which hides a gradient scale error): replicas summing their gradients
    # instead of averaging them would double the step and bend this curve away from one device.
    assert max(abs(a - b) for a, b in zip(one, two, strict=True)) <= LOSS_TOLERANCE, (one, two)
    assert one[-1] < one[0] - 0.3 and two[-1] < two[0] - 0.3, (one, two)


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_resumes_and_saves_a_float32_model(
    precision: str, tmp_path: Path
) -> None:
    import keras

    cfg = FitConfig(
        preset="lite",
        overrides={**TINY, "epochs": 1},
        out=tmp_path / precision,
        synthetic=8,
        seed=1,
        precision=precision,
        preprocess=PreprocessConfig(size=32),
    )
    fit(cfg)
    # Resuming restores the optimizer state too (a loss-scaled one under mixed_float16):
    # Keras warns "Skipping variable loading for optimizer" when it cannot.
    resumed = cfg.model_copy(update={"resume": True, "overrides": {**TINY, "epochs": 2}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = fit(resumed)
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert summary["epochs_run"] == 2 and summary["precision"] == precision
    config = json.loads((cfg.out / "config.json").read_text())
    assert config["distribution"]["precision"] == precision
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the run

    keras.mixed_precision.set_global_policy(precision)
    try:
        trained = keras.models.load_model(cfg.out / "last.keras")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    compute = "bfloat16" if precision == "mixed_bfloat16" else "float16"
    assert trained.get_layer("conv1_1").compute_dtype == compute
    assert trained.get_layer("conv10").compute_dtype == "float32"
    assert keras.backend.standardize_dtype(trained.outputs[0].dtype) == "float32"
    scaled = isinstance(trained.optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (precision == "mixed_float16")

    final = keras.models.load_model(cfg.out / "model.keras", compile=False)
    assert {layer.compute_dtype for layer in final.layers} == {"float32"}
    x = keras.ops.convert_to_numpy(keras.random.uniform((1, 32, 32, 3), 0, 255, seed=0))
    best = keras.models.load_model(cfg.out / "best.keras", compile=False)
    # Same weights: the float32 copy predicts what the mixed model predicts, to its precision.
    assert abs(final.predict(x, verbose=0) - best.predict(x, verbose=0)).max() < 0.05
