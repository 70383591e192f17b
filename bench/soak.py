"""Soak: the daemon at 10× the camera's rate while the broker goes down and up; nothing is lost.

A real ``thermoseg-edge run`` process reads the synthetic camera at 87 frames/s (10× the
Lepton) through a script of short abnormal and normal segments, so alerts open, update and end
every few frames, and publishes to a local mosquitto (persistence on) that this script stops
for ``--down`` seconds every ``--every`` seconds. A QoS 1 subscriber with a persistent session
collects what arrives, including what the broker queued for it while it was away. At the end the
broker is up, the daemon gets SIGTERM (it drains and flushes its outbox) and we wait for the
subscriber to catch up. Reported:

* alerts raised, per event: the daemon's own run summary (``run --summary-json``, written when
  it stops), which counts every alert event it stored in its outbox;
* received (deduplicated by ``(alert_id, event, frame_sequence)``: subscribers deduplicate by
  ``(alert_id, event)``, but an alert's several updates differ by frame), duplicates (QoS 1
  re-deliveries), losses per event (raised but never received: must be 0), and anything
  received beyond what was raised;
* from the summary: frames, frame queue drops, bad frames, outbox drops and what was left in
  the outbox after the final flush; from the stats topic: how many stats messages arrived and
  the outbox depth in the last one (published as the daemon drains, before the flush);
* the daemon's RSS near the start and at the end (``/proc``).

The daemon's log is kept for people to read (``log`` in the report); no figure comes from it.
Exit status 1 when anything was lost, or the run proves nothing (no summary, no alert raised,
daemon failed). Loopback only, bounded by ``--minutes``.

``--full-disk-at S`` (root only: it mounts a tmpfs) puts the state directory (the outbox) on a
512 kB tmpfs and fills that filesystem S seconds in; it stays full to the end. The report then
also says how the outbox ended (``outbox_state``, ``outbox_reason``, ``outbox_lost``,
``outbox_quarantined``, ``outbox_salvage_incomplete``).

    python -m bench.soak --minutes 10
    python -m bench.soak --minutes 1 --json soak.json
    python -m bench.soak --minutes 1 --full-disk-at 20
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import LEPTON_HZ, daemon_config, median, proc_status_mb, write_config
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from edge.testing.faults import fill_filesystem, small_tmpfs

__all__ = ["main", "soak"]

log = logging.getLogger(__name__)

DEVICE = "soak"
EVENTS = ("new", "update", "end")
SCRIPT = [
    {"stage": "normal", "frames": 6},
    {"stage": "advanced", "frames": 10},
    {"stage": "normal", "frames": 6},
    {"stage": "middle", "frames": 10},
]


Key = tuple[str, str, str]  # (alert_id, event, frame_sequence): one event, updates told apart


class _Received:
    """The key of every alert event a subscriber got, in order, duplicates included, and the
    stats messages."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.stats: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, payload: dict[str, Any]) -> None:
        if topic.endswith("/stats"):
            with self._lock:
                self.stats.append(payload)
        elif topic.endswith("/alerts"):
            with self._lock:
                self.keys.append(
                    (
                        str(payload.get("alert_id")),
                        str(payload.get("event")),
                        str(payload.get("frame_sequence")),
                    )
                )

    def snapshot(self) -> list[Key]:
        with self._lock:
            return list(self.keys)

    def stats_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.stats)


def _config(folder: Path, state: Path, port: int, fps: float, segmenter: dict[str, Any]) -> Path:
    source = {"type": "synthetic", "seed": 3, "fps": fps, "loop": True, "script": SCRIPT}
    data = daemon_config(
        state,
        port,
        source,
        segmenter,
        alerts={"open_after": 2, "close_after": 3, "update_interval_s": 0.5},
        capture={"queue_size": 2},  # the live-camera policy: drop the oldest, count it
        mqtt={"reconnect_min_s": 0.2, "reconnect_max_s": 1.0},
        stats={"interval_s": 5.0, "window": 1000},
        pipeline={"flush_timeout_s": 20.0, "drain_timeout_s": 10.0},
    )
    data["device_id"] = DEVICE
    return write_config(folder / "soak.toml", data)


def _outages(seconds: float, every: float, down: float) -> list[tuple[float, float]]:
    """(start, end) of each outage: the last ``down`` s of every ``every`` s, none in the last 5 s."""
    out, k = [], 1
    while k * every <= seconds - 5.0:
        out.append((k * every - down, k * every))
        k += 1
    return out


def _read_summary(path: Path) -> dict[str, Any] | None:
    """The daemon's ``thermoseg.run-summary/1``, or None when it wrote none (or garbage)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != "thermoseg.run-summary/1":
        return None
    return data


def _raised_by_event(summary: dict[str, Any] | None) -> dict[str, int] | None:
    sent = (summary or {}).get("alerts_sent")
    if not isinstance(sent, dict):
        return None
    return {e: int(sent.get(e, 0)) for e in EVENTS}


def _tally(summary: dict[str, Any] | None, got: list[Key]) -> dict[str, Any]:
    """Raised (the summary) against received (the subscriber); None where the summary lacks it."""
    unique = set(got)
    by_event = {e: sum(1 for k in unique if k[1] == e) for e in EVENTS}
    raised = _raised_by_event(summary)
    facts = summary or {}
    return {
        "summary_read": summary is not None,
        "frames": facts.get("frames"),
        "queue_drops": facts.get("queue_drops"),
        "frames_bad": facts.get("frames_bad"),
        "outbox_left_after_flush": facts.get("outbox_depth"),
        "outbox_dropped": facts.get("outbox_dropped"),
        "outbox_state": facts.get("outbox_state"),
        "outbox_reason": facts.get("outbox_reason"),
        "outbox_lost": facts.get("outbox_lost"),
        "outbox_quarantined": facts.get("outbox_quarantined"),
        "outbox_salvage_incomplete": facts.get("outbox_salvage_incomplete"),
        "alerts_raised": None if raised is None else sum(raised.values()),
        "alerts_raised_by_event": raised,
        "alerts_received": len(got),
        "alerts_received_unique": len(unique),
        "alerts_received_by_event": by_event,
        "duplicates": len(got) - len(unique),
        "losses": None if raised is None else sum(max(0, raised[e] - by_event[e]) for e in EVENTS),
        "unexpected": None
        if raised is None
        else sum(max(0, by_event[e] - raised[e]) for e in EVENTS),
    }


def soak(
    minutes: float,
    *,
    fps: float = 10 * LEPTON_HZ,
    every: float = 20.0,
    down: float = 5.0,
    segmenter: dict[str, Any] | None = None,
    workdir: Path | None = None,
    full_disk_at: float | None = None,
) -> dict[str, Any]:
    """Run the soak; the report as a dict (``losses`` must be 0)."""
    seconds = minutes * 60.0
    seg = segmenter or {"type": "codebook"}
    with tempfile.TemporaryDirectory(prefix="thermoseg-soak-") as tmp:
        folder = Path(workdir or tmp)
        broker = LocalBroker(workdir=folder / "broker", persistence=True)
        broker.start()
        received = _Received()
        sub = Subscriber(
            MqttConfig(host=broker.host, port=broker.port),
            [f"thermoseg/{DEVICE}/alerts", f"thermoseg/{DEVICE}/stats"],
            client_id=f"soak-sub-{id(received):x}",
            persistent=True,
            on_message=received,
        )
        sub.start()
        try:
            if not sub.wait_subscribed(10):
                raise RuntimeError(f"soak subscriber could not subscribe: {sub.last_error}")
            with contextlib.ExitStack() as stack:
                small = None
                if full_disk_at is not None:
                    small = stack.enter_context(small_tmpfs(folder / "small"))
                state = folder / "state" if small is None else small / "state"
                config = _config(folder, state, broker.port, fps, seg)
                fill = None if small is None else (full_disk_at, small)
                return _drive(
                    folder, config, broker, sub, received, seconds, every, down, fps, fill
                )
        finally:
            sub.stop()
            broker.cleanup()


def _drive(
    folder: Path,
    config: Path,
    broker: LocalBroker,
    sub: Subscriber,
    received: _Received,
    seconds: float,
    every: float,
    down: float,
    fps: float,
    fill: tuple[float | None, Path] | None = None,
) -> dict[str, Any]:
    fill_at = None if fill is None else fill[0]
    log_path = folder / "daemon.log"
    summary_path = folder / "summary.json"
    outages = _outages(seconds, every, down)
    rss: list[tuple[float, float]] = []
    cmd = [sys.executable, "-m", "edge.cli.main", "-v", "run", "--config", str(config)]
    cmd += ["--summary-json", str(summary_path)]
    with log_path.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            pending = list(outages)
            while (now := time.monotonic() - started) < seconds and proc.poll() is None:
                if fill is not None and fill[0] is not None and now >= fill[0]:
                    fill_filesystem(fill[1])  # the state directory's filesystem is full from now on
                    fill = None
                if pending and now >= pending[0][0] and broker.is_running():
                    broker.stop()
                if pending and now >= pending[0][1] and not broker.is_running():
                    broker.start()
                    pending.pop(0)
                rss.append((now, proc_status_mb(proc.pid).get("VmRSS", float("nan"))))
                time.sleep(0.5)
            broker.start()  # the end: the broker is up for the final flush
            time.sleep(2.0)
            hwm = proc_status_mb(proc.pid).get("VmHWM", float("nan"))
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    summary = _read_summary(summary_path)
    raised = _raised_by_event(summary)
    deadline = time.monotonic() + 30.0
    while raised is not None and time.monotonic() < deadline:
        if _tally(summary, received.snapshot())["losses"] == 0:
            break
        time.sleep(0.2)
    tally = _tally(summary, received.snapshot())
    stats = received.stats_snapshot()
    start_rss = [r for t, r in rss if 5.0 <= t <= 15.0] or [r for _, r in rss[:5]]
    end_rss = [r for _, r in rss[-10:]]
    rss_start, rss_end = round(median(start_rss), 1), round(median(end_rss), 1)
    report: dict[str, Any] = {
        "minutes": round(seconds / 60.0, 2),
        "fps_requested": fps,
        "outages": len(outages),
        "outage_s": down,
        "disk_full_from_s": None if fill_at is None else fill_at,
        "daemon_exit_code": code,
        **tally,
        "fps_achieved": None if tally["frames"] is None else round(tally["frames"] / seconds, 1),
        "stats_messages": len(stats),
        "outbox_depth_before_flush": stats[-1].get("outbox_depth") if stats else None,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "rss_peak_mb": round(hwm, 1),
        "log": str(log_path),
    }
    return report


def _failed(report: dict[str, Any]) -> list[str]:
    why = []
    if not report["summary_read"]:
        why.append(
            f"the daemon wrote no run summary, so nothing can be counted (see {report['log']})"
        )
    if report["losses"]:
        why.append(f"{report['losses']} alert event(s) raised but never received")
    if report["daemon_exit_code"] != 0:
        why.append(f"the daemon exited {report['daemon_exit_code']} (see {report['log']})")
    if report["summary_read"] and not report["alerts_raised"]:
        why.append("no alert was raised, so the soak proves nothing")
    return why


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument("--fps", type=float, default=10 * LEPTON_HZ, help="camera frames/s")
    parser.add_argument("--every", type=float, default=20.0, help="an outage every N seconds")
    parser.add_argument("--down", type=float, default=5.0, help="each outage lasts N seconds")
    parser.add_argument("--model", type=Path, default=None, help="a .tflite (default: codebook)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--full-disk-at",
        type=float,
        default=None,
        help="state directory on a 512 kB tmpfs, filled N seconds in (root only)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes must be in (0, 1440]")
    if not 0 < args.down < args.every:
        parser.error("--down must be positive and shorter than --every")
    seg = {"type": "tflite", "model": str(args.model)} if args.model else {"type": "codebook"}
    report = soak(
        args.minutes,
        fps=args.fps,
        every=args.every,
        down=args.down,
        segmenter=seg,
        full_disk_at=args.full_disk_at,
    )
    for key, value in report.items():
        print(f"{key:>24}: {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    why = _failed(report)
    for reason in why:
        print(f"SOAK FAILED: {reason}", file=sys.stderr)
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
