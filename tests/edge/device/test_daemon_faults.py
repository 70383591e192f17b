"""The daemon on a damaged outbox and on a full disk: it starts, screens and sends every alert to
a real mosquitto, and says what happened (run summary). Real SQLite files, real filesystems."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.device.daemon import OUTBOX_FILE
from edge.testing.broker import LocalBroker
from tests.edge.device.test_daemon import ABNORMAL_SCRIPT, DEVICE, _config, _daemon, _finish
from tests.edge.mqtt_helpers import collect, dedup


@pytest.fixture
def alerts(broker: LocalBroker) -> Iterator[Subscriber]:
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), f"thermoseg/{DEVICE}/alerts")
    sub.start()
    assert sub.wait_subscribed(10), sub.last_error
    yield sub
    sub.stop()


def _run(config: Path, summary: Path) -> dict[str, object]:
    code, out = _finish(_daemon(config, "--summary-json", str(summary)))
    assert code == 0, out
    result: dict[str, object] = json.loads(summary.read_text())
    return result


def _events(sub: Subscriber, summary: dict[str, object]) -> list[str]:
    """The alert events of one run (deduplicated), as many as its summary says it sent."""
    sent = summary["alerts_sent"]
    assert isinstance(sent, dict)
    got = dedup(collect(sub, sum(sent.values()), timeout=20))
    return [str(m["event"]) for m in got]


def test_a_restart_on_a_damaged_outbox_sets_it_aside_and_screens_on(
    tmp_path: Path, broker: LocalBroker, alerts: Subscriber
) -> None:
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT)
    _events(alerts, _run(config, tmp_path / "first.json"))  # the first run's alerts
    outbox = tmp_path / "state" / OUTBOX_FILE
    with outbox.open("r+b") as f:  # the header and first page: "file is not a database"
        f.write(bytes([0x5A]) * 4096)
    # Before the fix: "cannot open the SQLite database (file is not a database)", exit 1, and
    # systemd restarted it into the same failure forever.
    summary = _run(config, tmp_path / "second.json")
    assert summary["outbox_quarantined"] == 1 and summary["outbox_state"] == "ok"
    assert summary["outbox_depth"] == 0 and summary["outbox_lost"] == 0
    aside = [p.name for p in outbox.parent.glob(f"{OUTBOX_FILE}.corrupt-*")]
    assert len(aside) == 1, aside
    events = _events(alerts, summary)
    assert events[0] == "new" and events[-1] == "end", events


@pytest.fixture
def full_state_dir(tmp_path: Path) -> Iterator[Path]:
    """A state directory on a real 512 kB tmpfs, filled up (needs root; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "small"
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        (where / "state").mkdir()
        fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, bytes(4096))
        except OSError:  # ENOSPC
            pass
        finally:
            os.close(fd)
        yield where / "state"
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_daemon_started_on_a_full_disk_screens_and_sends_every_alert_from_memory(
    tmp_path: Path, broker: LocalBroker, alerts: Subscriber, full_state_dir: Path
) -> None:
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT)
    config.write_text(config.read_text().replace(f'"{tmp_path / "state"}"', f'"{full_state_dir}"'))
    # Before the fix: "cannot open the SQLite database (database or disk is full)", exit 1.
    summary = _run(config, tmp_path / "summary.json")
    assert summary["outbox_state"] == "degraded"
    assert "disk" in str(summary["outbox_reason"])
    assert summary["outbox_lost"] == 0 and summary["outbox_depth"] == 0
    events = _events(alerts, summary)  # every alert it raised, sent from memory
    sent = summary["alerts_sent"]
    assert isinstance(sent, dict) and len(events) == sum(sent.values())
    assert events[0] == "new" and events[-1] == "end", events
