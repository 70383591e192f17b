"""`make demo` (python -m edge.demo) runs end to end on a private broker and cleans up."""

from __future__ import annotations

import re
import subprocess
import sys

from edge import DISCLAIMER
from edge.demo import DEFAULT_MODEL


def test_demo_shows_alerts_arriving_and_a_summary_then_exits_0() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "edge.demo", "--seconds", "10"],
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
    expected = (
        "segmenter: tflite (lite-int8.tflite)" if DEFAULT_MODEL.is_file() else "segmenter: codebook"
    )
    assert expected in out
