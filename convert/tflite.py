"""Keras U-Net → TFLite flatbuffer in four flavours: float32, float16, dynamic, int8.

**Conversion path.** The Keras model is written as a SavedModel with a fixed batch-1 input
signature (``model.export(dir, format="tf_saved_model", input_signature=...)``) and converted
with ``tf.lite.TFLiteConverter.from_saved_model``: doing the two steps ourselves pins the op set
to ``TFLITE_BUILTINS`` (``TFLITE_BUILTINS_INT8`` for int8; no Flex ops the device cannot run),
sets every quantisation option explicitly and fixes the input to ``[1, S, S, 3]`` so the
manifest can check it exactly (the alternatives compared: docs/decisions/0004).

**Quantisation modes.**

* ``float32``: no optimisation; the reference.
* ``float16``: weights stored as float16 (half the size); CPU kernels dequantise to float32.
* ``dynamic``: weights int8, activations quantised on the fly; float32 input/output.
* ``int8``: full integer, calibrated on a representative dataset of *real* preprocessed frames
  (:func:`representative_images`). Input and output are **uint8**: the model starts with
  ``Rescaling(1/255)``, so the float input range is exactly 0..255 and the uint8 input
  quantises with scale 1, zero point 0 — the device feeds the RGB bytes from
  :func:`edge.core.preprocess.to_model_input` unchanged, with no extra pass over the image; an int8
  input would need a -128 shift per pixel. The sigmoid output as uint8 has scale 1/256.
  Before int8 conversion the model is rewritten by :func:`convert.equalize.equalize_for_int8`
  (equal activation ranges, ReLU6 at a calibration quantile, logit clipped to ±16): converted
  as trained, the decoder's large ranges crush the encoder through the shared concatenation
  scales (docs/decisions/0002).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from convert._tf import import_tensorflow
from convert.equalize import LOGIT_CLIP, equalize_for_int8
from edge.core.preprocess import PreprocessConfig, colorize, to_model_input
from edge.errors import DatasetError, FrameError, ModelError
from edge.io.manifest import QUANT_MODES
from edge.io.readers import list_frame_files, read_frame

__all__ = [
    "CONVERSION_METHOD",
    "INT8_CLIP_QUANTILE",
    "conversion_method",
    "convert_keras_model",
    "convert_saved_model",
    "export_saved_model",
    "palette_ramp",
    "representative_images",
]

log = logging.getLogger(__name__)

CONVERSION_METHOD = "keras.Model.export(tf_saved_model, batch 1) + TFLiteConverter.from_saved_model"

# Activation level (over the calibration pixels) mapped to ReLU6's top before int8 conversion:
# the quantile that changed the float model least while keeping int8 close to Keras
# (docs/decisions/0003).
INT8_CLIP_QUANTILE = 0.9999


def conversion_method(quant: str, clip_quantile: float | None) -> str:
    """The manifest's ``converter.method`` for ``quant`` (``None``: no int8 range rewrite)."""
    if quant != "int8" or clip_quantile is None:
        return CONVERSION_METHOD
    return (
        f"{CONVERSION_METHOD}; int8 after convert.equalize.equalize_for_int8 "
        f"(ReLU6 at calibration quantile {clip_quantile:g}, logit clipped to ±{LOGIT_CLIP:g})"
    )


def palette_ramp(cfg: PreprocessConfig) -> npt.NDArray[np.uint8]:
    """A (S, S, 3) image of every palette colour: a °C ramp from below t_min to above t_max.

    Added to the int8 calibration so every input value the palette can produce is inside the
    calibrated input range, whatever temperatures the calibration frames happened to hold.
    """
    span = cfg.t_max - cfg.t_min
    ramp = np.linspace(cfg.t_min - 0.1 * span, cfg.t_max + 0.1 * span, cfg.size, dtype=np.float32)
    celsius = np.tile(ramp, (cfg.size, 1))
    return colorize(celsius, cfg.palette, cfg.t_min, cfg.t_max)


def representative_images(
    folder: Path, cfg: PreprocessConfig, limit: int = 100
) -> list[npt.NDArray[np.uint8]]:
    """Model inputs from the frame files in ``folder``, through the device's own preprocessing.

    Unreadable frames are skipped with a warning; no readable frame raises DatasetError.
    """
    files = list_frame_files(folder)
    if not files:
        raise DatasetError(f"{folder}: no frame files for int8 calibration (expected .npy, ...)")
    images: list[npt.NDArray[np.uint8]] = []
    for path in files[:limit]:
        try:
            images.append(to_model_input(read_frame(path), cfg))
        except FrameError as exc:
            log.warning("calibration: skipped %s: %s", path, exc)
    if not images:
        raise DatasetError(f"{folder}: none of {len(files[:limit])} calibration frames is readable")
    return images


def export_saved_model(model: Any, workdir: Path) -> Path:
    """Write ``model`` as a SavedModel with a fixed ``[1, S, S, 3]`` float32 input signature."""
    tf = import_tensorflow()
    shape = tuple(int(d) for d in model.input_shape[1:])
    if len(shape) != 3 or shape[2] != 3:
        raise ModelError(f"model {model.name}: input shape {shape}; expected (S, S, 3) RGB")
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "saved_model"
    model.export(
        str(out),
        format="tf_saved_model",
        verbose=False,
        input_signature=[tf.TensorSpec((1, *shape), tf.float32, name="rgb")],
    )
    return out


def convert_saved_model(
    saved_model: Path,
    quant: str,
    representative: Sequence[npt.NDArray[np.uint8]] | None = None,
) -> bytes:
    """The ``.tflite`` bytes of a SavedModel from :func:`export_saved_model`.

    ``representative`` (RGB uint8 (S, S, 3) images) is required for ``int8``.
    """
    if quant not in QUANT_MODES:
        raise ModelError(f"quantisation {quant!r}; expected one of {', '.join(QUANT_MODES)}")
    if quant == "int8" and not representative:
        raise DatasetError("int8 conversion needs representative images (--calib FOLDER)")
    tf = import_tensorflow()
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quant in ("float16", "dynamic", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quant == "int8":
        images = list(representative or ())

        def samples() -> Iterator[list[npt.NDArray[np.float32]]]:
            for image in images:
                yield [image.astype(np.float32)[None]]

        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    try:
        flatbuffer: bytes = converter.convert()
    except Exception as exc:  # the converter raises many unrelated types
        raise ModelError(f"{saved_model}: TFLite conversion ({quant}) failed: {exc}") from exc
    log.info("converted %s to %s: %d bytes", saved_model, quant, len(flatbuffer))
    return flatbuffer


def convert_keras_model(
    model: Any,
    quant: str,
    representative: Sequence[npt.NDArray[np.uint8]] | None = None,
    clip_quantile: float | None = INT8_CLIP_QUANTILE,
) -> bytes:
    """The ``.tflite`` bytes of a Keras model (float RGB 0..255 in, probabilities out).

    For ``int8`` the model is first rewritten by :func:`equalize_for_int8` at ``clip_quantile``
    of the representative images (``None``: converted as it is).
    """
    if quant == "int8" and representative and clip_quantile is not None:
        model = equalize_for_int8(model, representative, clip_quantile=clip_quantile)
    with tempfile.TemporaryDirectory(prefix="thermoseg-convert-") as tmp:
        return convert_saved_model(export_saved_model(model, Path(tmp)), quant, representative)
