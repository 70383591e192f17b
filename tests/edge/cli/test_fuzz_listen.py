"""Fuzzing the alert schema and the listen sinks: a payload is refused by the schema (its
ValueError) or stored by every sink, with no live formula in the CSV and no control character
on the terminal."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz_targets import ALERT, MIN_EACH, run_fuzz


def test_hostile_alerts_are_refused_by_the_schema_or_stored_safely_by_every_sink(
    tmp_path: Path,
) -> None:
    counts = run_fuzz(ALERT, tmp_path)
    assert min(counts["accepted"], counts["refused"]) >= MIN_EACH, counts
