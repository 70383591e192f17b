"""Convert a trained run's ``model.keras`` to ``NAME-QUANT.tflite`` plus its manifest.

The manifest (:class:`edge.io.manifest.ModelManifest`) records the file's sha256, the input and
output tensors as LiteRT reports them (shape, dtype, scale, zero point), the preprocessing the
model was trained with, the training run (``config.json`` in the run folder) and its held-out
metrics (``metrics.json``), and the converter versions.

Run folder conventions read here (all optional): ``config.json`` with ``run_id`` (else the
folder name) and ``preprocess`` (a :class:`~edge.core.preprocess.PreprocessConfig` dict), and
``metrics.json`` with the held-out metrics of the Keras model (else ``summary.json``, which
``thermoseg-train fit`` writes with the best validation Dice).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

import edge
from convert._tf import import_keras, import_tensorflow
from convert.equalize import equalize_for_int8
from convert.tflite import (
    INT8_CLIP_QUANTILE,
    conversion_method,
    convert_saved_model,
    export_saved_model,
    palette_ramp,
    representative_images,
)
from edge.core.preprocess import PreprocessConfig
from edge.errors import ConfigError, ModelError
from edge.io.manifest import (
    QUANT_MODES,
    ConverterInfo,
    ModelManifest,
    Quant,
    TrainingInfo,
    manifest_path,
    sha256_bytes,
    tensor_info,
    write_manifest,
)
from edge.segmenters._litert import make_interpreter

__all__ = ["INPUT_MEANING", "OUTPUT_MEANING", "export_tflite", "load_keras_model", "read_run_info"]

log = logging.getLogger(__name__)

INPUT_MEANING = "RGB 0..255 of one frame from edge.core.preprocess.to_model_input (batch of 1)"
OUTPUT_MEANING = "per-pixel probability (0..1) that the pixel is abnormally warm; sigmoid"


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def read_run_info(
    run_dir: Path,
) -> tuple[TrainingInfo, dict[str, Any] | None, PreprocessConfig | None]:
    """The run's training info, held-out metrics and preprocessing, from files in ``run_dir``."""
    config = _read_json(run_dir / "config.json")
    # metrics.json (held-out assessment) when present, else fit's summary.json (validation)
    metrics = _read_json(run_dir / "metrics.json") or _read_json(run_dir / "summary.json")
    preprocess = None
    if config is not None and isinstance(config.get("preprocess"), dict):
        try:
            preprocess = PreprocessConfig.model_validate(config["preprocess"])
        except ValidationError as exc:
            raise ConfigError(f"{run_dir / 'config.json'}: preprocess: {exc}") from exc
    run_id = str(config.get("run_id") or config.get("id") or run_dir.name) if config else None
    info = TrainingInfo(run_id=run_id or run_dir.name, run_dir=str(run_dir), config=config)
    return info, metrics, preprocess


def load_keras_model(path: Path) -> Any:
    """A saved Keras model for inference (``compile=False``: no custom losses needed)."""
    keras = import_keras()
    if not path.is_file():
        raise ModelError(f"{path}: Keras model not found")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a bad archive
        raise ModelError(f"{path}: cannot load Keras model: {exc}") from exc


def export_tflite(
    keras_path: Path,
    quants: Sequence[str],
    out_dir: Path,
    *,
    calib: Path | None = None,
    calib_limit: int = 100,
    preprocess: PreprocessConfig | None = None,
    name: str | None = None,
    clip_quantile: float | None = INT8_CLIP_QUANTILE,
) -> list[Path]:
    """Convert ``keras_path`` and write ``<out_dir>/<name>-<quant>.tflite`` and ``.json``.

    One file pair per entry of ``quants`` (the SavedModel is exported once for all float and
    dynamic modes; ``int8`` converts the :func:`~convert.equalize.equalize_for_int8` rewrite at
    ``clip_quantile``, or the model as it is when ``clip_quantile`` is None).
    ``name`` defaults to the run folder's name (``runs/lite/model.keras`` → ``lite``);
    ``preprocess`` defaults to the run's ``config.json``, else :class:`PreprocessConfig()`.
    Returns the ``.tflite`` paths.
    """
    for quant in quants:
        if quant not in QUANT_MODES:
            raise ConfigError(f"quantisation {quant!r}; expected one of {', '.join(QUANT_MODES)}")
    run_dir = keras_path.parent
    training, metrics, run_preprocess = read_run_info(run_dir)
    cfg = preprocess or run_preprocess or PreprocessConfig.model_validate({})
    model = load_keras_model(keras_path)
    side = int(model.input_shape[1])
    if side != cfg.size:
        raise ModelError(f"{keras_path}: input side {side} differs from preprocess.size {cfg.size}")
    images = None
    if "int8" in quants:
        if calib is None:
            raise ConfigError("--quant int8 needs --calib FOLDER of representative frames")
        images = [*representative_images(calib, cfg, calib_limit), palette_ramp(cfg)]
    tf, keras = import_tensorflow(), import_keras()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with tempfile.TemporaryDirectory(prefix="thermoseg-convert-") as tmp:
        saved_model = export_saved_model(model, Path(tmp) / "float")
        if images is not None and clip_quantile is not None:
            rewritten = equalize_for_int8(model, images, clip_quantile=clip_quantile)
            int8_saved_model = export_saved_model(rewritten, Path(tmp) / "int8")
        else:
            int8_saved_model = saved_model
        for quant in quants:
            flatbuffer = convert_saved_model(
                int8_saved_model if quant == "int8" else saved_model,
                quant,
                images if quant == "int8" else None,
            )
            interpreter = make_interpreter(flatbuffer, 1, source=f"{keras_path} ({quant})")
            (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
            stem = f"{name or run_dir.name}-{quant}"
            tflite_path = out_dir / f"{stem}.tflite"
            calibrated = quant == "int8" and images is not None
            manifest = ModelManifest(
                name=stem,
                file=tflite_path.name,
                sha256=sha256_bytes(flatbuffer),
                size_bytes=len(flatbuffer),
                quant=cast(Quant, quant),
                input=tensor_info(inp, INPUT_MEANING),
                output=tensor_info(out, OUTPUT_MEANING),
                preprocess=cfg,
                training=training,
                metrics=metrics,
                converter=ConverterInfo(
                    method=conversion_method(quant, clip_quantile),
                    tensorflow=tf.__version__,
                    keras=keras.__version__,
                    thermoseg=edge.__version__,
                    calibration_frames=len(images) if calibrated and images else 0,
                    calibration_source=str(calib) if calibrated else None,
                ),
                created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            )
            tflite_path.write_bytes(flatbuffer)
            write_manifest(manifest, manifest_path(tflite_path))
            log.info("wrote %s (%d bytes) and its manifest", tflite_path, len(flatbuffer))
            paths.append(tflite_path)
    return paths
