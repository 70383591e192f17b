"""The one-minute soak: 87 frames/s, the broker down 5 s every 20 s, no alert lost."""

from __future__ import annotations

import json
from pathlib import Path

from bench import soak

A, B = "a" * 32, "b" * 32


def test_outages_leave_the_last_five_seconds_with_the_broker_up() -> None:
    assert soak._outages(60.0, 20.0, 5.0) == [(15.0, 20.0), (35.0, 40.0)]
    assert soak._outages(4.0, 20.0, 5.0) == []


def _summary(**sent: int) -> dict[str, object]:
    return {"schema": "thermoseg.run-summary/1", "alerts_sent": sent, "frames": 9}


def test_losses_are_counted_per_event_from_the_daemons_summary() -> None:
    got = [(A, "new", "3"), (A, "new", "3"), (A, "update", "5"), (B, "new", "7")]
    tally = soak._tally(_summary(new=2, update=2, end=1), got)
    assert tally["alerts_raised"] == 5 and tally["alerts_received_unique"] == 3
    assert tally["duplicates"] == 1
    assert tally["losses"] == 2 and tally["unexpected"] == 0


def test_without_the_daemons_summary_nothing_is_counted_and_the_soak_fails(tmp_path: Path) -> None:
    assert soak._read_summary(tmp_path / "missing.json") is None
    (tmp_path / "other.json").write_text('{"schema": "something-else"}')
    assert soak._read_summary(tmp_path / "other.json") is None
    tally = soak._tally(None, [(A, "new", "3")])
    assert tally["alerts_raised"] is None and tally["losses"] is None
    report = {**tally, "daemon_exit_code": 0, "log": "daemon.log"}
    assert any("no run summary" in why for why in soak._failed(report))


def test_one_minute_soak_with_broker_outages_loses_no_alert(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    code = soak.main(["--minutes", "1", "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["outages"] == 2
    assert report["summary_read"] is True
    assert isinstance(report["alerts_raised"], int) and report["alerts_raised"] > 0
    assert isinstance(report["frames"], int) and report["frames"] > 0
    assert report["losses"] == 0 and report["unexpected"] == 0
    assert report["alerts_received_unique"] == report["alerts_raised"]
    assert report["outbox_left_after_flush"] == 0
    assert report["outbox_quarantined"] == 0 and report["outbox_salvage_incomplete"] == 0
    assert report["stats_messages"] > 0
    assert code == 0
