"""The device refuses a model whose manifest is missing, stale or describes other tensors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge.errors import ModelError
from edge.segmenters import TFLiteConfig, TFLiteSegmenter


def _copy(model: Path, folder: Path, stem: str = "model") -> Path:
    """``model`` and its manifest under ``folder`` as ``<stem>.tflite`` / ``<stem>.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.tflite"
    shutil.copyfile(model, target)
    shutil.copyfile(model.with_suffix(".json"), target.with_suffix(".json"))
    return target


def _edit_manifest(model: Path, **changes: object) -> None:
    path = model.with_suffix(".json")
    data = json.loads(path.read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    path.write_text(json.dumps(data))


def test_a_correct_model_and_manifest_load(converted: dict[str, Path], tmp_path: Path) -> None:
    model = _copy(converted["int8"], tmp_path)
    with TFLiteSegmenter(TFLiteConfig(model=model)) as seg:
        assert seg.describe()["quant"] == "int8"


def test_missing_manifest_raises_model_error_naming_the_file(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["float32"], tmp_path)
    model.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match=r"model\.tflite: model manifest model\.json is missing"):
        TFLiteSegmenter(TFLiteConfig(model=model))


def test_sha256_mismatch_raises_model_error_with_both_hashes(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["float32"], tmp_path)
    # The float16 file beside the float32 manifest: a valid model, but not the one described.
    shutil.copyfile(converted["float16"], model)
    expected = json.loads(model.with_suffix(".json").read_text())["sha256"]
    with pytest.raises(ModelError, match=r"does not match model\.json") as info:
        TFLiteSegmenter(TFLiteConfig(model=model))
    assert str(model) in str(info.value) and expected in str(info.value)


def test_input_shape_mismatch_raises_model_error_naming_both_shapes(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["float32"], tmp_path)
    _edit_manifest(model, input__shape=[1, 128, 128, 3])
    with pytest.raises(ModelError) as info:
        TFLiteSegmenter(TFLiteConfig(model=model))
    message = str(info.value)
    assert str(model) in message
    assert "input tensor has shape [1, 64, 64, 3]" in message
    assert "manifest expects [1, 128, 128, 3]" in message


def test_input_dtype_mismatch_raises_model_error_naming_both_dtypes(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["int8"], tmp_path)
    # The int8 model (uint8 input) described as taking float32.
    _edit_manifest(model, input__dtype="float32")
    with pytest.raises(
        ModelError, match="input tensor has dtype uint8 but the manifest expects float32"
    ):
        TFLiteSegmenter(TFLiteConfig(model=model))


def test_changed_output_quantisation_raises_model_error(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["int8"], tmp_path)
    _edit_manifest(model, output__scale=0.5)
    with pytest.raises(ModelError, match="output tensor is quantised with scale"):
        TFLiteSegmenter(TFLiteConfig(model=model))


def test_manifest_with_unknown_field_raises_model_error_naming_the_field(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["float32"], tmp_path)
    _edit_manifest(model, colour="blue")
    with pytest.raises(ModelError, match=r"model\.json: invalid model manifest: colour"):
        TFLiteSegmenter(TFLiteConfig(model=model))


def test_corrupt_manifest_json_raises_model_error(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    model = _copy(converted["float32"], tmp_path)
    model.with_suffix(".json").write_text("{ not json")
    with pytest.raises(ModelError, match=r"model\.json: model manifest is not valid JSON"):
        TFLiteSegmenter(TFLiteConfig(model=model))


def test_missing_model_file_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nothing\.tflite: model file not found"):
        TFLiteSegmenter(TFLiteConfig(model=tmp_path / "nothing.tflite"))
