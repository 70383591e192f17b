"""`make demo` (python -m edge.cli.demo) runs end to end on a private broker and cleans up."""

from __future__ import annotations

import re
import subprocess
import sys

from edge import DISCLAIMER
from edge.cli.demo import shipped_model


def test_demo_shows_alerts_arriving_and_a_summary_then_exits_0() -> None:
    # The codebook needs no model file, so the alerts seen depend only on the demo's script.
    proc = subprocess.run(
        [sys.executable, "-m", "edge.cli.demo", "--seconds", "10", "--segmenter", "codebook"],
        capture_output=True,
        text=True,
        timeout=110,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert DISCLAIMER in out
    assert re.search(r"ALERT NEW +[0-9a-f]{8} +grade=", out), out
    assert re.search(r"summary: \d+ frames in [\d.]+ s", out), out
    assert "-> all received" in out
    assert "broker stopped" in out
    assert "segmenter: codebook" in out


def test_demo_by_default_runs_the_shipped_model_when_present_and_exits_0() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "edge.cli.demo", "--seconds", "4"],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    model = shipped_model()
    expected = f"tflite ({model.name})" if model else "codebook (no model shipped)"
    assert f"segmenter: {expected}" in proc.stdout
    assert "-> all received" in proc.stdout
