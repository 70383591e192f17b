"""The daemon end to end: real subprocess, real mosquitto, real outbox, real notify socket."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.comms.config import MqttConfig
from edge.comms.schemas import validate
from edge.comms.subscriber import Subscriber
from edge.device.config import parse_config
from edge.device.daemon import OUTBOX_FILE, Daemon
from edge.device.sdnotify import SystemdNotifier
from edge.testing.broker import LocalBroker

DEVICE = "testdev"
ABNORMAL_SCRIPT = '[{ stage = "normal", frames = 4 }, { stage = "advanced", frames = 14 }, { stage = "normal", frames = 10 }]'
NORMAL_SCRIPT = '[{ stage = "normal", frames = 6 }]'


def _config(
    tmp_path: Path, port: int, *, script: str, fps: float = 0.0, loop: bool = False
) -> Path:
    text = f"""
device_id = "{DEVICE}"
state_dir = "{tmp_path / "state"}"
[source]
type = "synthetic"
seed = 5
fps = {fps}
loop = {str(loop).lower()}
script = {script}
[capture]
queue_size = 1000  # fps = 0 would otherwise drop the oldest frames (live-camera behaviour)
[segmenter]
type = "codebook"
[alerts]
open_after = 2
close_after = 3
update_interval_s = 0.5
[mqtt]
host = "127.0.0.1"
port = {port}
reconnect_min_s = 0.2
reconnect_max_s = 0.5
[stats]
interval_s = 1.0
[pipeline]
flush_timeout_s = 5.0
"""
    p = tmp_path / "device.toml"
    p.write_text(text)
    return p


def _daemon(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli.main", "-v", "run", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


@pytest.fixture
def subscriber(broker: LocalBroker) -> Iterator[Subscriber]:
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), f"thermoseg/{DEVICE}/#")
    sub.start()
    assert sub.wait_subscribed(10), sub.last_error
    yield sub
    sub.stop()


def _drain(
    sub: Subscriber, leaf: str, until: Any = None, timeout: float = 20
) -> list[dict[str, Any]]:
    """Messages on <prefix>/<device>/<leaf> until ``until(messages)`` holds or the timeout.

    Every message taken from the subscriber is kept (on ``sub.seen``), so a later call for
    another leaf still sees what arrived meanwhile.
    """
    seen: list[tuple[str, dict[str, Any]]] = sub.__dict__.setdefault("seen", [])

    def mine() -> list[dict[str, Any]]:
        return [p for t, p in seen if t.endswith("/" + leaf)]

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (until and until(mine())):
        try:
            seen.append(sub.get(timeout=0.2))
        except queue.Empty:
            continue
    return mine()


def test_synthetic_daemon_publishes_valid_alerts_to_a_real_broker(
    tmp_path: Path, broker: LocalBroker, subscriber: Subscriber
) -> None:
    code, out = _finish(_daemon(_config(tmp_path, broker.port, script=ABNORMAL_SCRIPT)))
    assert code == 0, out
    alerts = _drain(subscriber, "alerts", until=lambda m: any(a["event"] == "end" for a in m))
    events = [a["event"] for a in alerts]
    assert events[0] == "new" and events[-1] == "end", events
    assert len({a["alert_id"] for a in alerts}) == 1
    for a in alerts:
        validate("alert", a)
        assert a["device"] == DEVICE and "does not diagnose" in a["disclaimer"]


def _outbox_rows(state: Path) -> list[tuple[int, bytes]]:
    db = state / OUTBOX_FILE
    if not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            # Alerts only: snapshots (PNG) travel through the same outbox on .../snapshot.
            return list(
                con.execute(
                    "SELECT id, payload FROM messages WHERE topic LIKE '%/alerts' ORDER BY id"
                )
            )
        finally:
            con.close()
    except sqlite3.OperationalError:
        return []  # the daemon is still creating the database


def test_alerts_queued_while_the_broker_is_down_survive_sigkill_and_are_sent_after_restart(
    tmp_path: Path, broker: LocalBroker
) -> None:
    broker.stop()
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT, fps=15.0, loop=True)
    proc = _daemon(config)
    deadline = time.monotonic() + 60
    while len(_outbox_rows(tmp_path / "state")) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    _, out = _finish(proc)
    rows = _outbox_rows(tmp_path / "state")
    assert len(rows) >= 2, out
    import json

    queued = [(p["alert_id"], p["event"]) for p in (json.loads(r[1]) for r in rows)]

    broker.start()
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), f"thermoseg/{DEVICE}/alerts")
    sub.start()
    try:
        assert sub.wait_subscribed(10)
        # The restarted daemon sees only normal subjects: whatever arrives came from the outbox.
        code, out = _finish(_daemon(_config(tmp_path, broker.port, script=NORMAL_SCRIPT)))
        assert code == 0, out
        left_open = int(queued[-1][1] != "end")  # the restart then ends it: one more event
        got = _drain(sub, "alerts", until=lambda m: len(m) >= len(queued) + left_open)
    finally:
        sub.stop()
    assert [(a["alert_id"], a["event"]) for a in got][: len(queued)] == queued
    assert _outbox_rows(tmp_path / "state") == []
    # An alert the crash left open was ended by the restart.
    recovered = [a["alert_id"] for a in got if a.get("end_reason") == "recovered"]
    assert recovered == ([queued[-1][0]] if left_open else [])


def test_sigterm_sends_stopping_drains_and_exits_0_with_status_stopped(
    tmp_path: Path, broker: LocalBroker, subscriber: Subscriber
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock_path = str(tmp_path / "notify.sock")
    sock.bind(sock_path)
    sock.settimeout(60)
    config = _config(tmp_path, broker.port, script=NORMAL_SCRIPT, fps=10.0, loop=True)
    proc = _daemon(config, env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "1000000"})
    try:
        seen: list[str] = []

        def wait_for(line: str) -> None:
            while line not in seen:
                seen.extend(sock.recv(4096).decode().split("\n"))

        wait_for("READY=1")
        wait_for("WATCHDOG=1")
        proc.send_signal(signal.SIGTERM)
        wait_for("STOPPING=1")
        code, out = _finish(proc)
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
    assert code == 0, out
    assert "SIGTERM received: draining" in out
    status = _drain(subscriber, "status", until=lambda m: m and m[-1]["state"] == "stopped")
    assert status[-1]["state"] == "stopped", status
    stats = _drain(subscriber, "stats", timeout=0.5)
    for s in stats:
        validate("stats", s)


def test_watchdog_is_pinged_only_after_frames_were_processed(
    tmp_path: Path, broker: LocalBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = tmp_path / "rec"
    frames.mkdir()
    for i in range(3):
        np.save(frames / f"f{i}.npy", np.full((120, 160), 31.0, np.float32))
    cfg = parse_config(
        {
            "device_id": DEVICE,
            "state_dir": str(tmp_path / "state"),
            "source": {"type": "replay", "path": str(frames), "fps": 2.0},
            "mqtt": {"host": broker.host, "port": broker.port},
        }
    )
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "n.sock"))
    sock.settimeout(0)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # ping at most every 50 ms
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    daemon = Daemon(cfg, SystemdNotifier(str(tmp_path / "n.sock")))
    summary = daemon.run(max_seconds=30)  # ends when the 3 files have been replayed
    assert summary.exit_code == 0 and summary.stop_reason == "source finished"
    assert daemon.running is None  # the live parts are gone once run() returned
    lines: list[str] = []
    while True:
        try:
            lines.extend(sock.recv(4096).decode().split("\n"))
        except BlockingIOError:
            break
    sock.close()
    assert summary.frames == 3 and summary.frames_bad == 0
    assert summary.outbox_depth == 0 and summary.latency_ms["total"]["p50"] is not None
    assert lines[0] == "READY=1"
    assert 1 <= lines.count("WATCHDOG=1") <= 3  # never more pings than frames processed
    assert lines.index("WATCHDOG=1") > 0 and "STOPPING=1" in lines


def test_run_on_a_missing_lepton_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    p = tmp_path / "lepton.toml"
    p.write_text(
        f'device_id = "x"\nstate_dir = "{tmp_path / "s"}"\n'
        f'[source]\ntype = "lepton"\ndevice = "{tmp_path / "video7"}"\n'
    )
    code, out = _finish(_daemon(p, "--max-seconds", "5"))
    assert code == 1
    assert f"source.device {tmp_path / 'video7'} does not exist" in out


def test_run_writes_a_json_summary_of_what_it_did_when_asked(
    tmp_path: Path, broker: LocalBroker
) -> None:
    config = _config(tmp_path, broker.port, script=ABNORMAL_SCRIPT)
    out = tmp_path / "summary.json"
    code, log = _finish(_daemon(config, "--summary-json", str(out)))
    assert code == 0, log
    summary = json.loads(out.read_text())
    assert summary["schema"] == "thermoseg.run-summary/1"
    assert summary["exit_code"] == 0 and summary["stop_reason"] == "source finished"
    assert summary["frames"] == 28 and summary["frames_bad"] == 0  # 4 + 14 + 10 scripted frames
    assert summary["alerts_sent"]["new"] >= 1 and summary["outbox_depth"] == 0
    assert not (tmp_path / "summary.json.tmp").exists()
