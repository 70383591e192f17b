"""The int8 range rewrite: same function in float, int8 parity on a badly ranged U-Net."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convert.equalize import LOGIT_CLIP, equalize_for_int8
from convert.tflite import convert_keras_model
from edge.errors import ModelError
from edge.io.manifest import read_manifest
from tests.convert.conftest import model_inputs

DECODER_GAIN = 300.0  # like the trained lite U-Net: decoder activations in the hundreds


@pytest.fixture(scope="module")
def calib_images(calib_dir: Path) -> list[np.ndarray]:
    return list(model_inputs(calib_dir)[0])


@pytest.fixture(scope="module")
def tiny_model(tiny_run: Path) -> Any:
    import keras

    return keras.saving.load_model(tiny_run, compile=False)


def _probabilities(model: Any, images: list[np.ndarray]) -> np.ndarray:
    return np.asarray(model.predict(np.stack(images).astype("float32"), verbose=0))[..., 0]


def _tflite_probabilities(flatbuffer: bytes, images: list[np.ndarray]) -> np.ndarray:
    from edge.segmenters._litert import make_interpreter

    interpreter = make_interpreter(flatbuffer, 1, source="test")
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    scale, zero = out["quantization"]
    probs = []
    for image in images:
        interpreter.set_tensor(inp["index"], image[None])
        interpreter.invoke()
        raw = interpreter.get_tensor(out["index"]).astype(np.float32)
        probs.append((raw - zero) * scale)
    return np.concatenate(probs)[..., 0]


def _badly_ranged(model: Any) -> Any:
    """``model`` with the same function but decoder activations DECODER_GAIN times larger.

    ``up9`` (concatenated with the small ``conv1_2`` skip) and ``conv9_1``..``conv9_3`` are
    scaled up, the next layers' input weights scaled down: what training produced in the lite
    U-Net, where the Keras output is unchanged but one int8 scale serves both ranges.
    """
    import keras

    out = keras.models.clone_model(model)
    out.set_weights(model.get_weights())
    skip = out.get_layer("conv1_2").filters
    for name in ("up9", "conv9_1", "conv9_2", "conv9_3", "conv10"):
        kernel, bias = out.get_layer(name).get_weights()
        gain_in = np.ones(kernel.shape[2])
        if name == "conv9_1":
            gain_in[skip:] = DECODER_GAIN  # only the up9 half of merge9 was scaled
        elif name != "up9":
            gain_in[:] = DECODER_GAIN
        gain_out = 1.0 if name == "conv10" else DECODER_GAIN
        kernel = kernel / gain_in[None, None, :, None] * gain_out
        out.get_layer(name).set_weights([kernel.astype("float32"), (bias * gain_out).astype("f4")])
    return out


def test_rewrite_keeps_the_float_probabilities_on_the_calibration_frames(
    tiny_model: Any, calib_images: list[np.ndarray]
) -> None:
    rewritten = equalize_for_int8(tiny_model, calib_images, clip_quantile=1.0)
    before = _probabilities(tiny_model, calib_images)
    after = _probabilities(rewritten, calib_images)
    # only float rounding and the logit clip (sigmoid(16) is 1.1e-7 from 1) remain
    assert np.max(np.abs(after - before)) < 1e-4


def test_rewrite_bounds_every_hidden_activation_with_relu6_at_its_calibrated_level(
    tiny_model: Any, calib_images: list[np.ndarray]
) -> None:
    import keras

    rewritten = equalize_for_int8(tiny_model, calib_images, clip_quantile=1.0)
    hidden = [
        layer
        for layer in rewritten.layers
        if isinstance(layer, keras.layers.Conv2D) and not layer.name.startswith("conv10")
    ]
    assert {layer.get_config()["activation"] for layer in hidden} == {"relu6"}
    probe = keras.Model(rewritten.inputs, [layer.output for layer in hidden])
    outs = probe.predict(np.stack(calib_images).astype("float32"), verbose=0)
    peaks = {layer.name: float(np.max(o)) for layer, o in zip(hidden, outs, strict=True)}
    # the calibration maximum of every layer is mapped to ReLU6's top (dead layers stay 0)
    assert all(p == pytest.approx(6.0, abs=1e-3) or p == 0.0 for p in peaks.values()), peaks
    assert peaks["conv9_3"] == pytest.approx(6.0, abs=1e-3)


def test_the_logit_is_clipped_to_the_logit_clip(
    tiny_model: Any, calib_images: list[np.ndarray]
) -> None:
    rewritten = equalize_for_int8(tiny_model, calib_images[:2])
    assert rewritten.get_layer("conv10_clip").get_config()["activation"] == "relu6"
    head = rewritten.get_layer("conv10_logit")
    # the final 1x1 conv maps the ReLU6 range [0, 6] onto [-LOGIT_CLIP, +LOGIT_CLIP]
    kernel, bias = head.get_weights()
    ends = np.array([0.0, 6.0]) * kernel.ravel()[0] + bias[0]
    assert ends.tolist() == pytest.approx([-LOGIT_CLIP, LOGIT_CLIP])


def test_int8_rewrite_restores_parity_of_a_model_with_a_large_decoder_range(
    tiny_model: Any, calib_images: list[np.ndarray], holdout_dir: Path
) -> None:
    bad = _badly_ranged(tiny_model)
    holdout = list(model_inputs(holdout_dir)[0])
    keras_probs = _probabilities(bad, holdout)
    assert np.max(np.abs(keras_probs - _probabilities(tiny_model, holdout))) < 1e-3
    plain = _tflite_probabilities(convert_keras_model(bad, "int8", calib_images, None), holdout)
    fixed = _tflite_probabilities(convert_keras_model(bad, "int8", calib_images), holdout)
    agree_plain = np.mean((plain > 0.5) == (keras_probs > 0.5))
    agree_fixed = np.mean((fixed > 0.5) == (keras_probs > 0.5))
    mae_plain, mae_fixed = (
        np.mean(np.abs(plain - keras_probs)),
        np.mean(np.abs(fixed - keras_probs)),
    )
    assert agree_fixed >= 0.98
    assert mae_fixed < mae_plain / 2, (mae_fixed, mae_plain, agree_fixed, agree_plain)


def test_manifest_names_the_rewrite_for_int8_only(converted: dict[str, Path]) -> None:
    methods = {
        q: read_manifest(p.with_suffix(".json")).converter.method for q, p in converted.items()
    }
    assert "equalize_for_int8" in methods["int8"]
    assert all("equalize_for_int8" not in m for q, m in methods.items() if q != "int8")


def test_unsupported_layer_raises_model_error_naming_it() -> None:
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", name="head")(x)
    model = keras.Model(inputs, outputs)
    with pytest.raises(ModelError, match="bn: BatchNormalization is not supported"):
        equalize_for_int8(model, [np.zeros((16, 16, 3), np.uint8)])


def test_model_without_a_sigmoid_conv_output_raises_model_error() -> None:
    import keras

    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Conv2D(1, 1, activation="linear", name="logits")(inputs)
    with pytest.raises(ModelError, match="logits is Conv2D \\(linear\\); expected a sigmoid"):
        equalize_for_int8(keras.Model(inputs, outputs), [np.zeros((16, 16, 3), np.uint8)])


def test_clip_quantile_outside_zero_to_one_raises_model_error(
    tiny_model: Any, calib_images: list[np.ndarray]
) -> None:
    with pytest.raises(ModelError, match=r"clip quantile 1\.5"):
        equalize_for_int8(tiny_model, calib_images[:1], clip_quantile=1.5)
