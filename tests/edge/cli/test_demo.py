"""`make demo` (python -m edge.cli.demo) runs end to end on a private broker and cleans up."""

from __future__ import annotations

import re
import subprocess
import sys

from edge import DISCLAIMER
from edge.cli.demo import shipped_model
from edge.testing.broker import free_port


def test_demo_shows_alerts_arriving_and_a_summary_then_exits_0() -> None:
    # The codebook needs no model file, so the alerts seen depend only on the demo's script.
    port = free_port()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge.cli.demo",
            "--seconds",
            "10",
            "--segmenter",
            "codebook",
            "--broker-port",
            str(port),
        ],
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
    assert f"thermoseg-edge dashboard --broker 127.0.0.1:{port}" in out
    # Every alert ends, also the one still open when the demo stops the daemon.
    received = re.search(r"alerts received: new (\d+), update \d+, end (\d+)", out)
    assert received and received.group(1) == received.group(2), out


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
