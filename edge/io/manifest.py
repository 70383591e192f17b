"""The model manifest: what a ``.tflite`` file is, how to feed it and where it came from.

Every model ships with a manifest beside it: the same stem with ``.json``
(``lite-int8.tflite`` + ``lite-int8.json``). The device refuses a model whose manifest is
missing, whose sha256 differs from the file, or whose input/output tensors differ from what the
manifest promises (:func:`load_verified`, :func:`check_tensor`), so a model is never run with
the wrong preprocessing or a half-copied file. ``convert`` writes manifests; ``edge`` reads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge import DISCLAIMER
from edge.core._doc_walk import unwritable
from edge.core.preprocess import PreprocessConfig
from edge.errors import ModelError, validation_problems

__all__ = [
    "QUANT_MODES",
    "ConverterInfo",
    "ModelManifest",
    "Quant",
    "TensorInfo",
    "TrainingInfo",
    "check_tensor",
    "load_verified",
    "manifest_path",
    "read_manifest",
    "sha256_bytes",
    "tensor_info",
    "write_manifest",
]

log = logging.getLogger(__name__)

Quant = Literal["float32", "float16", "dynamic", "int8"]
QUANT_MODES: tuple[str, ...] = ("float32", "float16", "dynamic", "int8")


class TensorInfo(BaseModel):
    """One input or output tensor as the interpreter reports it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(description="tensor name in the .tflite file")
    shape: list[int] = Field(description="shape including the batch axis, e.g. [1, 128, 128, 3]")
    dtype: str = Field(description="numpy dtype name: float32, uint8 or int8")
    scale: float = Field(0.0, description="quantisation scale; 0 when the tensor is not quantised")
    zero_point: int = Field(0, description="quantisation zero point")
    meaning: str = Field("", description="what the values mean")


class TrainingInfo(BaseModel):
    """The training run the Keras model came from (from the run folder, when present)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    run_id: str | None = Field(None, description="training run id")
    run_dir: str | None = Field(None, description="run folder the Keras model was read from")
    config: dict[str, Any] | None = Field(None, description="the run's config.json")


class ConverterInfo(BaseModel):
    """Versions and method of the conversion."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    method: str = Field(description="conversion path")
    tensorflow: str = Field(description="TensorFlow version")
    keras: str = Field(description="Keras version")
    thermoseg: str = Field(description="thermoseg version")
    calibration_frames: int = Field(0, description="frames in the int8 representative dataset")
    calibration_source: str | None = Field(None, description="where calibration frames came from")


class ModelManifest(BaseModel):
    """The ``.json`` beside a ``.tflite`` model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_version: Literal[1] = 1
    name: str = Field(description="model name: <run>-<quant>")
    file: str = Field(description="the .tflite file name")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the .tflite file")
    size_bytes: int = Field(ge=1, description="size of the .tflite file")
    quant: Quant = Field(description="float32, float16, dynamic (int8 weights) or int8 (full)")
    input: TensorInfo
    output: TensorInfo
    preprocess: PreprocessConfig = Field(description="how frames become the model's input")
    training: TrainingInfo = Field(default_factory=TrainingInfo)
    metrics: dict[str, Any] | None = Field(None, description="held-out metrics of the Keras model")
    converter: ConverterInfo
    created: str = Field(description="UTC time of conversion, ISO 8601")
    disclaimer: str = Field(DISCLAIMER, description="screening aid, never a diagnosis")


def manifest_path(model_path: Path) -> Path:
    """The manifest of ``model_path``: same folder and stem, ``.json``."""
    return model_path.with_suffix(".json")


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: Path) -> ModelManifest:
    """Read and validate a manifest; :class:`ModelError` names the file and the bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{path}: model manifest not found") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model manifest: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ModelError(
            f"{path}: model manifest is not UTF-8 (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); expected the JSON `thermoseg-convert` writes"
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: model manifest is not valid JSON: {exc}") from exc
    except RecursionError:
        raise ModelError(f"{path}: model manifest nests too deeply to be a manifest") from None
    # Loaded, but write_manifest would write null for the number or fail on the text.
    bad = [f"{found.path}: {found.problem}" for found in unwritable(raw)]
    if bad:
        raise ModelError(f"{path}: invalid model manifest: {'; '.join(bad[:5])}")
    try:
        return ModelManifest.model_validate(raw)
    except ValidationError as exc:
        raise ModelError(f"{path}: invalid model manifest: {validation_problems(exc)}") from exc


def write_manifest(manifest: ModelManifest, path: Path) -> None:
    """Write ``manifest`` as indented JSON."""
    path.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")


def load_verified(model_path: Path) -> tuple[ModelManifest, bytes]:
    """The model's bytes and its manifest, after checking the manifest's sha256 and size.

    The bytes returned are the ones hashed, so the interpreter runs exactly what was checked.
    """
    try:
        data = model_path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{model_path}: model file not found") from None
    except OSError as exc:
        raise ModelError(f"{model_path}: cannot read model file: {exc}") from exc
    mpath = manifest_path(model_path)
    if not mpath.exists():
        raise ModelError(
            f"{model_path}: model manifest {mpath.name} is missing; every model needs its "
            f"manifest beside it (written by `thermoseg-convert tflite`)"
        )
    manifest = read_manifest(mpath)
    digest = sha256_bytes(data)
    if digest != manifest.sha256:
        raise ModelError(
            f"{model_path}: sha256 {digest} does not match {mpath.name} "
            f"(sha256 {manifest.sha256}); the file is corrupt or belongs to another manifest"
        )
    return manifest, data


def tensor_info(details: dict[str, Any], meaning: str = "") -> TensorInfo:
    """A :class:`TensorInfo` from one entry of ``interpreter.get_input_details()``."""
    scale, zero_point = details.get("quantization", (0.0, 0))
    return TensorInfo(
        name=str(details["name"]),
        shape=[int(d) for d in details["shape"]],
        dtype=np.dtype(details["dtype"]).name,
        scale=float(scale),
        zero_point=int(zero_point),
        meaning=meaning,
    )


def check_tensor(
    expected: TensorInfo, details: dict[str, Any], role: str, model_path: Path | str
) -> None:
    """Raise :class:`ModelError` when the interpreter's tensor differs from the manifest's.

    Shape and dtype must match exactly; quantisation parameters to a relative 1e-6.
    """
    actual = tensor_info(details)
    where = f"{model_path}: {role} tensor"
    if actual.shape != expected.shape:
        raise ModelError(
            f"{where} has shape {actual.shape} but the manifest expects {expected.shape}"
        )
    if actual.dtype != expected.dtype:
        raise ModelError(
            f"{where} has dtype {actual.dtype} but the manifest expects {expected.dtype}"
        )
    if actual.zero_point != expected.zero_point or not np.isclose(
        actual.scale, expected.scale, rtol=1e-6, atol=0.0
    ):
        raise ModelError(
            f"{where} is quantised with scale {actual.scale}, zero point {actual.zero_point} "
            f"but the manifest expects scale {expected.scale}, zero point {expected.zero_point}"
        )
