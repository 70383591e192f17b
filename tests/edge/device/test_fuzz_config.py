"""Fuzzing the device config loader: any file gives a config (that check-config can print) or
a ConfigError."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz_targets import CONFIG, MIN_EACH, run_fuzz


def test_config_loader_on_hostile_toml_raises_only_config_errors(tmp_path: Path) -> None:
    counts = run_fuzz(CONFIG, tmp_path)
    assert min(counts["accepted"], counts["refused"]) >= MIN_EACH, counts
