"""Fuzzing the DMR-IR text parser: any bytes give a float32 matrix or a FrameError."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz_targets import DMR, run_fuzz


def test_dmr_parser_on_hostile_text_raises_only_frame_errors(tmp_path: Path) -> None:
    counts = run_fuzz(DMR, tmp_path)
    assert counts["accepted"] > 0 and counts["refused"] > 0
