"""The one-minute soak: 87 frames/s, the broker down 5 s every 20 s, no alert lost."""

from __future__ import annotations

import json
from pathlib import Path

from bench import soak


def test_outages_leave_the_last_five_seconds_with_the_broker_up() -> None:
    assert soak._outages(60.0, 20.0, 5.0) == [(15.0, 20.0), (35.0, 40.0)]
    assert soak._outages(4.0, 20.0, 5.0) == []


def test_one_minute_soak_with_broker_outages_loses_no_alert(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    code = soak.main(["--minutes", "1", "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["outages"] == 2
    assert report["alerts_raised"] > 0 and report["log_totals_match"]
    assert report["losses"] == 0 and report["unexpected"] == 0
    assert report["alerts_received_unique"] == report["alerts_raised_unique"]
    assert report["outbox_left_after_flush"] == 0
    assert code == 0
