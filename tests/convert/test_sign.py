"""``thermoseg-convert keygen`` and ``sign``: what a device's [models] public_key accepts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from convert.cli import main
from edge.errors import ModelError
from edge.io.manifest import manifest_path
from edge.io.signature import signature_path, verify_model

MODELS = Path(__file__).resolve().parents[2] / "edge" / "models"


def _model(tmp_path: Path) -> Path:
    for suffix in (".tflite", ".json"):
        shutil.copy(MODELS / f"lite-int8{suffix}", tmp_path / f"lite-int8{suffix}")
    return tmp_path / "lite-int8.tflite"


def test_keygen_writes_a_private_key_0600_and_prints_the_public_key_and_sign_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "models.key"
    assert main(["keygen", str(key)]) == 0
    public = capsys.readouterr().out.split('public_key = "')[1].split('"')[0]
    assert key.stat().st_mode & 0o777 == 0o600
    model = _model(tmp_path)
    assert main(["sign", str(model), "--key", str(key)]) == 0
    verify_model(
        model.read_bytes(), manifest_path(model).read_bytes(), signature_path(model), public
    )
    with pytest.raises(SystemExit, match="exists"):
        main(["keygen", str(key)])  # never overwrite a key


def test_sign_refuses_a_model_that_does_not_match_its_manifest(tmp_path: Path) -> None:
    key = tmp_path / "models.key"
    assert main(["keygen", str(key)]) == 0
    model = _model(tmp_path)
    doc = json.loads(manifest_path(model).read_text())
    doc["sha256"] = "0" * 64
    manifest_path(model).write_text(json.dumps(doc))
    assert main(["sign", str(model), "--key", str(key)]) == 1
    assert not signature_path(model).exists()
    with pytest.raises(ModelError):
        verify_model(b"", b"", signature_path(model), "A" * 43 + "=")
