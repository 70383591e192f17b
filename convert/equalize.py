"""Range equalisation: a Keras U-Net rewritten so full-int8 quantisation keeps its precision.

**Why.** Full-int8 TFLite gives each activation tensor one scale from its calibrated range, and a
concatenation one scale for all its inputs, so the U-Net decoder's large activations crush the
encoder's skip connections and the logit (measurements: docs/decisions/0002).

**What.** Two rewrites, applied to a copy of the model before int8 conversion only:

* ReLU is positively homogeneous (``relu(c·y) = c·relu(y)`` for ``c > 0``) and max-pooling,
  nearest upsampling, dropout (identity at inference) and concatenation commute with positive
  per-channel scales. So each ReLU convolution's output can be scaled by ``c`` (weights and
  bias times ``c``) if the next convolution divides its input-channel weights by ``c``. We
  pick ``c`` per layer so its activation level at ``clip_quantile`` over the calibration
  pixels becomes 6, and make its ReLU a ReLU6 (TFLite fuses it into the convolution). Both
  inputs of every concatenation then share the range [0, 6], and no tensor is quantised with a
  scale set by another's outliers. At ``clip_quantile=1.0`` (the maximum) nothing the
  calibration frames produce is clipped and the float outputs are unchanged to rounding; below
  1 the rare background extremes are clipped, which changes the float model slightly (the
  chosen quantile: :data:`convert.tflite.INT8_CLIP_QUANTILE`, docs/decisions/0003). The logit
  is a difference of the two last-layer channels, so their int8 step sets the logit error.
* The logit head ``sigmoid(z)`` becomes ``sigmoid(L·(relu6(z/L + 3) - 3))`` with
  ``L = LOGIT_CLIP / 3``: the logit is clipped to ±:data:`LOGIT_CLIP` (sigmoid(±16) is 1e-7
  from 0 or 1, so probabilities change by < 1e-6 and the mask at any threshold in
  [1e-6, 1 - 1e-6] not at all), and TFLite fuses ``relu6`` into the convolution, so the
  int8 tensor carrying the logit spans ±16 instead of the trained logit's full range.
  Every op stays int8; input and output stay uint8.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from convert._tf import import_keras
from edge.errors import ModelError

__all__ = ["LOGIT_CLIP", "RELU6_TOP", "activation_levels", "equalize_for_int8"]

log = logging.getLogger(__name__)

RELU6_TOP = 6.0
LOGIT_CLIP = 16.0

# Layers that pass per-channel scale factors through unchanged.
_PASS_THROUGH = ("MaxPooling2D", "UpSampling2D", "Dropout", "InputLayer")


def _inbound(layer: Any) -> list[str]:
    """Names of the layers feeding ``layer`` (functional models, one call per layer)."""
    if len(layer._inbound_nodes) != 1:
        raise ModelError(f"layer {layer.name}: used {len(layer._inbound_nodes)} times; expected 1")
    return [t._keras_history[0].name for t in layer._inbound_nodes[0].input_tensors]


def activation_levels(
    model: Any, images: Sequence[npt.NDArray[np.uint8]], quantile: float = 1.0, batch: int = 8
) -> dict[str, float]:
    """Each ReLU convolution's output level at ``quantile`` over ``images`` (1.0 = maximum).

    Quantiles below 1 are taken over every other row and column (a 1/4 sample of the pixels).
    """
    keras = import_keras()
    if not 0.0 < quantile <= 1.0:
        raise ModelError(f"clip quantile {quantile}; expected 0 < quantile <= 1")
    names = [layer.name for layer in model.layers if _is_relu_conv(layer)]
    if not names:
        return {}
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    peaks = dict.fromkeys(names, 0.0)
    samples: dict[str, list[npt.NDArray[np.float32]]] = {n: [] for n in names}
    x = np.stack(images).astype(np.float32)
    for start in range(0, len(x), batch):
        outs = probe(x[start : start + batch], training=False)
        outs = outs if isinstance(outs, list | tuple) else [outs]
        for name, out in zip(names, outs, strict=True):
            values = np.asarray(out)
            peaks[name] = max(peaks[name], float(values.max()))
            if quantile < 1.0:
                samples[name].append(values[:, ::2, ::2, :].ravel())
    if quantile == 1.0:
        return peaks
    return {n: float(np.quantile(np.concatenate(samples[n]), quantile)) for n in names}


def _is_relu_conv(layer: Any) -> bool:
    return type(layer).__name__ == "Conv2D" and layer.get_config()["activation"] == "relu"


def _output_conv(model: Any) -> Any:
    layer = model.get_layer(model.outputs[0]._keras_history[0].name)
    if type(layer).__name__ != "Conv2D" or layer.get_config()["activation"] != "sigmoid":
        raise ModelError(
            f"model {model.name}: output layer {layer.name} is {type(layer).__name__} "
            f"({layer.get_config().get('activation')}); expected a sigmoid Conv2D"
        )
    return layer


def equalize_for_int8(
    model: Any,
    images: Sequence[npt.NDArray[np.uint8]],
    *,
    clip_quantile: float = 1.0,
    logit_clip: float = LOGIT_CLIP,
) -> Any:
    """A copy of ``model`` with equalised activation ranges and a clipped logit (see module).

    ``images`` are calibration inputs (RGB uint8 (S, S, 3)). Each ReLU convolution's output is
    scaled so its level at ``clip_quantile`` over ``images`` becomes 6 and its ReLU becomes
    ReLU6: with the default 1.0 (the maximum) nothing the calibration frames produce is
    clipped. Supports what :func:`training.unet.build_unet` builds: ReLU ``Conv2D`` layers,
    max-pooling, nearest upsampling, dropout, concatenation, a ``Rescaling`` right after the
    input and a sigmoid ``Conv2D`` output.
    """
    keras = import_keras()
    head = _output_conv(model)
    levels = activation_levels(model, images, clip_quantile)

    def relu6(layer: Any) -> Any:
        config = layer.get_config()
        if _is_relu_conv(layer):
            config["activation"] = "relu6"
        return type(layer).from_config(config)

    clone = keras.models.clone_model(model, clone_function=relu6)
    clone.set_weights(model.get_weights())
    factors: dict[str, npt.NDArray[np.float64]] = {}  # layer -> per-channel output scale
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            factors[layer.name] = np.ones(int(layer.output.shape[-1]))
            continue
        sources = _inbound(layer)
        if kind in _PASS_THROUGH:
            factors[layer.name] = factors[sources[0]]
        elif kind == "Rescaling":
            if sources != [model.layers[0].name]:
                raise ModelError(f"layer {layer.name}: Rescaling is supported right after input")
            factors[layer.name] = factors[sources[0]]
        elif kind == "Concatenate":
            factors[layer.name] = np.concatenate([factors[s] for s in sources])
        elif kind == "Conv2D" and (layer is head or _is_relu_conv(layer)):
            c_in = factors[sources[0]]
            level = 0.0 if layer is head else levels[layer.name]
            # the head keeps its logit scale; a dead layer (all zero on calibration) its own
            c_out = np.full(layer.filters, RELU6_TOP / level if level > 0 else 1.0)
            kernel, bias = layer.get_weights()
            kernel = kernel / c_in[None, None, :, None] * c_out[None, None, None, :]
            clone.get_layer(layer.name).set_weights(
                [kernel.astype(np.float32), (bias * c_out).astype(np.float32)]
            )
            factors[layer.name] = c_out
        else:
            raise ModelError(
                f"layer {layer.name}: {kind} is not supported by range equalisation "
                f"(expected ReLU Conv2D, pooling, upsampling, dropout, concatenation, rescaling)"
            )
    return _clipped_head(clone, head.name, logit_clip)


def _clipped_head(model: Any, head_name: str, logit_clip: float) -> Any:
    """``model`` with its sigmoid head ``sigmoid(z)`` as ``sigmoid(L·(relu6(z/L + 3) - 3))``."""
    keras = import_keras()
    head = model.get_layer(head_name)
    kernel, bias = head.get_weights()
    gain = logit_clip / 3.0
    config = {**head.get_config(), "activation": "relu6", "name": f"{head_name}_clip"}
    clipped = keras.layers.Conv2D.from_config(config)
    logit = keras.layers.Conv2D(head.filters, 1, activation="sigmoid", name=f"{head_name}_logit")
    features = head.input
    out = logit(clipped(features))
    clipped.set_weights([kernel / gain, bias / gain + 3.0])
    eye = np.eye(head.filters, dtype=np.float32)[None, None] * gain
    logit.set_weights([eye, np.full(head.filters, -3.0 * gain, np.float32)])
    result = keras.Model(model.inputs, out, name=model.name)
    log.info("equalised %s for int8: logit clipped to ±%g", model.name, logit_clip)
    return result
