"""Every alert ends: a clean stop ends it, a crash is ended by the next start; alerts carry the
exam id set over MQTT and a snapshot sent through the outbox (real daemon, real mosquitto)."""

from __future__ import annotations

import hashlib
import json
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from edge.comms.commands import CommandClient
from edge.comms.config import MqttConfig
from edge.comms.schemas import validate
from edge.comms.subscriber import Subscriber
from edge.device.open_alert import OPEN_ALERT_FILE
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import wait_for

DEVICE = "lifecycle"


def _config(tmp_path: Path, port: int) -> Path:
    text = f"""
device_id = "{DEVICE}"
state_dir = "{tmp_path / "state"}"
[source]
type = "synthetic"
seed = 3
fps = 10.0
loop = true
script = [{{ stage = "normal", frames = 2 }}, {{ stage = "advanced", frames = 400 }}]
[segmenter]
type = "codebook"
[alerts]
open_after = 2
close_after = 3
update_interval_s = 30
[mqtt]
host = "127.0.0.1"
port = {port}
reconnect_min_s = 0.2
reconnect_max_s = 0.5
[pipeline]
flush_timeout_s = 5.0
"""
    path = tmp_path / "device.toml"
    path.write_text(text)
    return path


class Inbox:
    """Every message on the device's subtree, JSON decoded where it is JSON."""

    def __init__(self, broker: LocalBroker) -> None:
        self.q: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.seen: list[tuple[str, bytes]] = []
        self.sub = Subscriber(
            MqttConfig(host=broker.host, port=broker.port),
            f"thermoseg/{DEVICE}/#",
            on_raw=lambda t, b: self.q.put((t, b)),
        )
        self.sub.start()
        assert self.sub.wait_subscribed(10)

    def alerts(self) -> list[dict[str, Any]]:
        return [json.loads(b) for t, b in self.seen if t.endswith("/alerts")]

    def wait(self, pred: Any, timeout: float = 40) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not pred(self.alerts()) and time.monotonic() < deadline:
            try:
                self.seen.append(self.q.get(timeout=0.2))
            except queue.Empty:
                continue
        assert pred(self.alerts()), [(a["event"], a.get("end_reason")) for a in self.alerts()]
        return self.alerts()


def _start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli.main", "-v", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_alerts_end_after_a_crash_and_at_a_clean_stop_and_carry_exam_and_snapshot(
    broker: LocalBroker, tmp_path: Path
) -> None:
    config = _config(tmp_path, broker.port)
    inbox = Inbox(broker)
    cmd = CommandClient(MqttConfig(host=broker.host, port=broker.port))
    cmd.start()
    cmd.publish(f"thermoseg/{DEVICE}/exam/set", {"exam_id": "EX-0042"}, retain=True)
    cmd.stop()

    first = _start(config)
    try:
        news = inbox.wait(lambda a: any(x["event"] == "new" for x in a))
        # Written right after the event is stored in the outbox (it may arrive here first).
        assert wait_for((tmp_path / "state" / OPEN_ALERT_FILE).is_file, 5)
    finally:
        first.send_signal(signal.SIGKILL)  # a crash: no end is sent
        first.communicate(timeout=30)
    crashed = next(a for a in news if a["event"] == "new")
    for alert in news:
        validate("alert", alert)
    assert crashed["exam_id"] == "EX-0042"
    snap = crashed["snapshot"]
    png = dict(inbox.seen)[snap["topic"]]
    assert png.startswith(b"\x89PNG") and hashlib.sha256(png).hexdigest() == snap["sha256"]
    assert not any(a["event"] == "end" for a in inbox.alerts())

    second = _start(config)
    try:
        got = inbox.wait(
            lambda a: (
                any(x["event"] == "end" for x in a)
                and any(x["event"] == "new" and x["alert_id"] != crashed["alert_id"] for x in a)
            )
        )
    finally:
        second.send_signal(signal.SIGTERM)
    second.communicate(timeout=60)
    recovered = next(a for a in got if a["event"] == "end")
    assert recovered["alert_id"] == crashed["alert_id"]
    assert recovered["end_reason"] == "recovered" and recovered["exam_id"] == "EX-0042"
    reopened = next(a for a in got if a["event"] == "new" and a["alert_id"] != crashed["alert_id"])

    final = inbox.wait(
        lambda a: any(x["event"] == "end" and x["alert_id"] == reopened["alert_id"] for x in a)
    )
    stopped = next(
        a for a in final if a["event"] == "end" and a["alert_id"] == reopened["alert_id"]
    )
    validate("alert", stopped)
    assert stopped["end_reason"] == "daemon_stopped" and stopped["regions"] == []
    assert second.returncode == 0
    assert not (tmp_path / "state" / OPEN_ALERT_FILE).exists()
    inbox.sub.stop()
