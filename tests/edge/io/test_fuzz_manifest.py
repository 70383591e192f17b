"""Fuzzing the model manifest loader: any file gives a manifest or a ModelError."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import ModelError
from edge.io.manifest import read_manifest
from tests.fuzz_targets import MANIFEST, run_fuzz


def test_manifest_loader_on_hostile_files_raises_only_model_errors(tmp_path: Path) -> None:
    counts = run_fuzz(MANIFEST, tmp_path)
    assert counts["accepted"] > 0 and counts["refused"] > 0


def test_a_non_utf8_or_deeply_nested_manifest_is_a_model_error_naming_the_file(
    tmp_path: Path,
) -> None:
    for name, data in (("latin.json", b'{"name": "caf\xe9"}'), ("deep.json", b"[" * 5000)):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ModelError, match=name):
            read_manifest(path)
