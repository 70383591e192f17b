"""Helpers shared by the MQTT tests: alert payloads, collecting messages, a publisher process."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any

from edge import DISCLAIMER
from edge.comms.subscriber import Subscriber
from edge.core.analysis import Region
from edge.device.alerts import iso_utc


def alert_payload(
    seq: int, *, device: str = "pi-test", alert_id: str | None = None, event: str = "new"
) -> dict[str, Any]:
    now = time.time()
    return {
        "schema": "thermoseg.alert/2",
        "alert_id": alert_id or uuid.uuid4().hex,
        "event": event,
        "device": device,
        "opened_at": iso_utc(now),
        "timestamp": iso_utc(now),
        "frame_sequence": seq,
        "segmenter": {"segmenter": "codebook", "model_sha256": None},
        "grade": "initial",
        "abnormal": True,
        "regions": [
            Region(
                id=1,
                bbox=(10, 20, 4, 3),
                area_px=12 + seq,
                area_pct=0.4,
                centroid=(11.5, 21.0),
                side="left",
                max_c=35.2,
                mean_c=34.9,
                delta_t_c=1.5,
            ).to_dict()
        ],
        "max_delta_t_c": 1.5,
        "exam_id": None,
        "snapshot": None,
        "end_reason": "normal_frames" if event == "end" else None,
        "disclaimer": DISCLAIMER,
    }


def collect(
    sub: Subscriber,
    want: int,
    timeout: float,
    leaf: str = "/alerts",
    seen: set[tuple[Any, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Messages on topics ending with ``leaf`` until ``want`` distinct (alert_id, event) arrived.

    ``seen`` carries the keys of earlier calls, so a QoS 1 re-delivery of an old message does not
    count as a new one.
    """
    got: list[dict[str, Any]] = []
    seen = set() if seen is None else seen
    deadline = time.monotonic() + timeout
    while len(seen) < want and time.monotonic() < deadline:
        try:
            t, payload = sub.get(timeout=0.2)
        except queue.Empty:
            continue
        if t.endswith(leaf):
            got.append(payload)
            if "alert_id" in payload:
                seen.add((payload["alert_id"], payload.get("event")))
            else:  # status, stats, discovery: distinct by topic and content
                seen.add((t, json.dumps(payload, sort_keys=True)))
    return got


def dedup(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First delivery of each (alert_id, event), in arrival order."""
    seen: set[tuple[Any, Any]] = set()
    out = []
    for m in messages:
        key = (m["alert_id"], m["event"])
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


PUBLISHER_SCRIPT = r'''
"""A thermoseg publisher in its own process: publishes N alerts, then idles or drains."""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from mqtt_helpers import alert_payload
from edge.comms.config import MqttConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.outbox import Outbox, OutboxConfig

port, outbox_path, n, mode = int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
box = Outbox(outbox_path, OutboxConfig())
pub = MqttPublisher(MqttConfig(port=port, reconnect_min_s=0.2, reconnect_max_s=0.5), "pi-proc", box)
pub.start()
for i in range(n):
    pub.publish_alert(alert_payload(i, device="pi-proc"))
print(f"QUEUED {box.depth()}", flush=True)
if mode == "connect":
    pub.wait_connected(20)
    print("CONNECTED", flush=True)
    time.sleep(600)
elif mode == "drain":
    deadline = time.monotonic() + 30
    while box.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    pub.stop()
    print(f"DRAINED {box.depth()}", flush=True)
else:
    time.sleep(600)
'''


def start_publisher_process(
    tmp: Path, port: int, outbox: Path, n: int, mode: str
) -> subprocess.Popen[str]:
    script = tmp / "publisher_proc.py"
    script.write_text(PUBLISHER_SCRIPT)
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(Path(__file__).parent),
            str(port),
            str(outbox),
            str(n),
            mode,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_LINES: weakref.WeakKeyDictionary[subprocess.Popen[str], queue.Queue[str | None]] = (
    weakref.WeakKeyDictionary()
)


def _stdout_lines(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """One reader thread per process, feeding its stdout lines (None at EOF) into a queue."""
    if proc not in _LINES:
        assert proc.stdout is not None
        stdout = proc.stdout
        q: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            for line in stdout:
                q.put(line)
            q.put(None)

        threading.Thread(target=pump, name="proc-stdout", daemon=True).start()
        _LINES[proc] = q
    return _LINES[proc]


def read_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The first stdout line starting with ``prefix``; AssertionError with stderr otherwise.

    Lines are read by a thread: ``select`` on a buffered text reader misses a line that an
    earlier ``readline`` already pulled into Python's buffer (two lines arriving together).
    """
    lines = _stdout_lines(proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            lines.put(None)  # EOF stays visible to a later call
            break
        if line.startswith(prefix):
            return line.strip()
    proc_done = proc.poll() is not None
    err = proc.stderr.read() if proc.stderr and proc_done else ""
    raise AssertionError(f"publisher process did not print {prefix!r}: {err}")
