"""Fuzzing the model manifest loader: any file gives a manifest or a ModelError."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import ModelError
from edge.io.manifest import read_manifest
from tests.fuzz_targets import MANIFEST, MIN_EACH, SEED_MANIFEST, run_fuzz


def test_manifest_loader_on_hostile_files_raises_only_model_errors(tmp_path: Path) -> None:
    counts = run_fuzz(MANIFEST, tmp_path)
    assert min(counts["accepted"], counts["refused"]) >= MIN_EACH, counts


def test_a_non_utf8_or_deeply_nested_manifest_is_a_model_error_naming_the_file(
    tmp_path: Path,
) -> None:
    for name, data in (("latin.json", b'{"name": "caf\xe9"}'), ("deep.json", b"[" * 5000)):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ModelError, match=name):
            read_manifest(path)


@pytest.mark.parametrize(
    ("seed_text", "odd_text", "field"),
    [
        ('"scale": 0.00390625', '"scale": NaN', "output.scale"),
        ('"scale": 0.00390625', '"scale": "inf"', "output.scale"),
        ('"dropout": 0.2', '"dropout": 1e999', "training.config.preset.dropout"),
        ('"name": "lite-int8"', '"name": "lite-\\ud800"', "name"),
        ('"preset": {', '"preset": {"x": -Infinity, ', "training.config.preset.x"),
        ('"preset": {', '"preset": {"\\udc00": 1, ', "training.config.preset"),
    ],
)
def test_a_number_or_text_json_cannot_hold_is_a_model_error_naming_the_field(
    tmp_path: Path, seed_text: str, odd_text: str, field: str
) -> None:
    # They loaded ("inf" as a number), and write_manifest then wrote null for the number (a
    # manifest that no longer loads) or failed on the text.
    text = SEED_MANIFEST.read_text(encoding="utf-8")
    assert seed_text in text
    path = tmp_path / "odd.json"
    path.write_text(text.replace(seed_text, odd_text, 1), encoding="utf-8")
    with pytest.raises(ModelError, match=rf"odd\.json: invalid model manifest: {field}: "):
        read_manifest(path)
