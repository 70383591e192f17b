"""The daemon on a damaged outbox and on a full disk: it starts, screens and sends every alert to
a real mosquitto, and says what happened (run summary). Real SQLite files, real filesystems."""

from __future__ import annotations

import json
import queue
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.device.config import parse_config
from edge.device.daemon import OUTBOX_FILE, Daemon
from edge.device.sdnotify import SystemdNotifier
from edge.testing.broker import LocalBroker
from edge.testing.faults import fill_filesystem
from tests.edge.device.test_daemon import ABNORMAL_SCRIPT, DEVICE, _config, _daemon, _finish


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


def _receive(sub: Subscriber, want: int, got: list[dict[str, Any]], timeout: float = 30) -> None:
    """Add arriving alerts to ``got`` until it holds ``want`` distinct ones: QoS 1 re-deliveries
    are dropped by (alert_id, event, frame_sequence) (an alert's updates differ by frame)."""
    keys = {(m["alert_id"], m["event"], m["frame_sequence"]) for m in got}
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        try:
            _, m = sub.get(timeout=0.2)
        except queue.Empty:
            continue
        key = (m["alert_id"], m["event"], m["frame_sequence"])
        if key not in keys:
            keys.add(key)
            got.append(m)


def _raised(summary: dict[str, object]) -> int:
    sent = summary["alerts_sent"]
    assert isinstance(sent, dict)
    return sum(int(n) for n in sent.values())


def _events(sub: Subscriber, summary: dict[str, object]) -> list[str]:
    """The alert events of one run, as many as its summary says it raised."""
    got: list[dict[str, Any]] = []
    _receive(sub, _raised(summary), got)
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
    assert summary["outbox_salvage_incomplete"] == 1  # how many it held cannot be known
    aside = [p.name for p in outbox.parent.glob(f"{OUTBOX_FILE}.corrupt-*")]
    assert len(aside) == 1, aside
    events = _events(alerts, summary)
    assert events[0] == "new" and events[-1] == "end", events


@pytest.fixture
def small_fs(small_fs: Path) -> Path:
    """The shared 512 kB tmpfs with the daemon's state folder made before it fills up."""
    (small_fs / "state").mkdir()
    return small_fs


def _on(config: Path, tmp_path: Path, state: Path) -> Path:
    config.write_text(config.read_text().replace(f'"{tmp_path / "state"}"', f'"{state}"'))
    return config


def test_a_daemon_started_on_a_full_disk_screens_and_sends_every_alert_from_memory(
    tmp_path: Path, broker: LocalBroker, alerts: Subscriber, small_fs: Path
) -> None:
    fill_filesystem(small_fs)
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT)
    _on(config, tmp_path, small_fs / "state")
    # Before the fix: "cannot open the SQLite database (database or disk is full)", exit 1.
    summary = _run(config, tmp_path / "summary.json")
    assert summary["outbox_state"] == "degraded"
    assert "disk" in str(summary["outbox_reason"])
    assert summary["outbox_lost"] == 0 and summary["outbox_depth"] == 0
    events = _events(alerts, summary)  # every alert it raised, sent from memory
    assert len(events) == _raised(summary)
    assert events[0] == "new" and events[-1] == "end", events


def test_a_disk_filling_up_while_the_daemon_runs_costs_no_alert(
    tmp_path: Path, broker: LocalBroker, alerts: Subscriber, small_fs: Path
) -> None:
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT, fps=15.0, loop=True)
    _on(config, tmp_path, small_fs / "state")
    summary_path = tmp_path / "summary.json"
    proc = _daemon(config, "--summary-json", str(summary_path))
    got: list[dict[str, Any]] = []
    try:
        _receive(alerts, 2, got, timeout=60)  # running, with the outbox on disk
        assert len(got) >= 2, proc.poll()
        fill_filesystem(small_fs)
        # Before the fix: the first alert after this killed the analysis thread (exit 1).
        _receive(alerts, len(got) + 6, got, timeout=60)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
    code, out = _finish(proc)
    assert code == 0, out
    summary = json.loads(summary_path.read_text())
    assert summary["outbox_state"] == "degraded" and "disk" in str(summary["outbox_reason"])
    assert summary["outbox_lost"] == 0 and summary["outbox_depth"] == 0
    _receive(alerts, _raised(summary), got)
    assert len(got) == _raised(summary)  # raised == received (+ 0 lost)


def test_status_says_the_outbox_is_degraded_and_why(
    tmp_path: Path, broker: LocalBroker, small_fs: Path
) -> None:
    frames = tmp_path / "rec"
    frames.mkdir()
    for i in range(4):
        np.save(frames / f"f{i}.npy", np.full((120, 160), 31.0, np.float32))
    fill_filesystem(small_fs)
    cfg = parse_config(
        {
            "device_id": DEVICE,
            "state_dir": str(small_fs / "state"),
            "source": {"type": "replay", "path": str(frames), "fps": 2.0},
            "mqtt": {"host": broker.host, "port": broker.port},
            "watchdog": {"status_interval_s": 0.2},
        }
    )
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "n.sock"))
    sock.settimeout(0)
    try:
        summary = Daemon(cfg, SystemdNotifier(str(tmp_path / "n.sock"))).run(max_seconds=30)
        lines: list[str] = []
        while True:
            try:
                lines.extend(sock.recv(4096).decode().split("\n"))
            except BlockingIOError:
                break
    finally:
        sock.close()
    assert summary.exit_code == 0 and summary.outbox_state == "degraded"
    status = [line for line in lines if line.startswith("STATUS=") and "frames" in line]
    assert status, lines
    assert all("outbox 0 DEGRADED (disk" in line for line in status), status
    assert all("camera running" in line for line in status), status  # frames keep coming
