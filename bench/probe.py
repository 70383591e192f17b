"""Run the real daemon in this process and measure it from the inside (a child of the benches).

The only instrument is :class:`TimedOutbox`, the real :class:`~edge.comms.outbox.Outbox` that also
notes, per alert, the capture time of its frame (the payload's ``timestamp``, which the tracker
copies from the frame; millisecond resolution), the time the pipeline stored it and the time
the broker's PUBACK arrived (the publisher calls ``ack`` from ``on_publish``). It is put in
place of ``edge.device.daemon.Outbox`` before the daemon starts; the daemon itself is unchanged.

    python -m bench.probe CONFIG OUT.json --max-frames 300
    python -m bench.probe CONFIG OUT.json --late-broker-after 200   # broker down, then up

With ``--late-broker-after N`` the broker (``mqtt.port`` on loopback) is down while the first
``N`` frames are processed; then it is started here and the time until the outbox is empty is
the drain time. The child's own peak RSS (``VmHWM``) is reported; mosquitto is another process.

:class:`ThreadCpu` also reads each daemon thread's CPU clock, and the process's, every 20 ms
while it runs, so the result says how much CPU per frame the capture, inference, analysis and
MQTT threads each took in the running daemon (contention included), and the process as a whole
(LiteRT's native worker threads too), not only stage by stage as ``bench_budget`` does.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import thread_cpu_s
from edge.comms.outbox import Outbox

__all__ = ["ThreadCpu", "TimedOutbox", "main", "probe", "run_probe"]

log = logging.getLogger(__name__)


def _vm(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class TimedOutbox(Outbox):
    """The real outbox, also timing each alert from capture to PUBACK."""

    last: TimedOutbox | None = None  # the instance the daemon made, read after run() returned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        TimedOutbox.last = self
        self.captured_at: dict[int, float] = {}
        self.put_at: dict[int, float] = {}
        self.acked_at: dict[int, float] = {}
        self.depth_at_close: int | None = None

    def close(self) -> None:
        if self.depth_at_close is None:
            self.depth_at_close = self.depth()
        super().close()

    def put(self, topic: str, payload: bytes, qos: int = 1) -> int:
        start = time.time()
        msg_id = super().put(topic, payload, qos)
        if msg_id and topic.endswith("/alerts"):
            stamp = json.loads(payload)["timestamp"]
            self.captured_at[msg_id] = datetime.fromisoformat(stamp).timestamp()
            self.put_at[msg_id] = start
        return msg_id

    def ack(self, msg_id: int) -> None:
        if msg_id in self.put_at:
            self.acked_at[msg_id] = time.time()  # the PUBACK just arrived
        super().ack(msg_id)

    def latencies_ms(self) -> dict[str, list[float]]:
        """Per acknowledged alert: capture->PUBACK, capture->stored, stored->PUBACK (ms)."""
        ids = [i for i in self.put_at if i in self.acked_at]
        return {
            "capture_to_puback": [(self.acked_at[i] - self.captured_at[i]) * 1e3 for i in ids],
            "capture_to_put": [(self.put_at[i] - self.captured_at[i]) * 1e3 for i in ids],
            "put_to_puback": [(self.acked_at[i] - self.put_at[i]) * 1e3 for i in ids],
        }


class ThreadCpu:
    """CPU seconds per thread name, and of the whole process, from the ``warmup``-th processed
    frame to the end.

    Start-up (imports, model loading, the first invokes) is left out: the baseline is read
    when ``progress()`` first reaches ``warmup``; the last value seen while each thread was
    alive ends it. Python's threads are listed by name; ``other`` is the rest of the process's
    CPU over the same window: LiteRT's own worker threads (native, not Python threads), the
    main thread (the supervisor) and this sampler."""

    PERIOD_S = 0.02

    def __init__(self, progress: Callable[[], int], warmup: int = 10) -> None:
        self.progress = progress
        self.warmup = warmup
        self.start_frames: int | None = None
        self.end_frames = 0
        self.base: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="probe-cpu", daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.PERIOD_S):
            frames = self.progress()
            now = self._read()
            if self.start_frames is None:
                if frames >= self.warmup:
                    self.start_frames, self.base = frames, now
                continue
            self.last.update(now)
            self.end_frames = max(self.end_frames, frames)

    def _read(self) -> dict[str, float]:
        out: dict[str, float] = {_PROCESS: time.process_time()}
        for thread in threading.enumerate():
            if thread is self._thread or thread is threading.main_thread():
                continue
            seconds = thread_cpu_s(thread)
            if not math.isnan(seconds):  # NaN: it ended between the listing and the read
                out[thread.name] = seconds
        return out

    def ms_per_frame(self) -> dict[str, float]:
        """CPU ms per frame of each Python thread, ``other`` and ``process`` (the sum) over the
        measured frames; empty if too few were measured."""
        frames = self.end_frames - (self.start_frames or 0)
        if self.start_frames is None or frames <= 0:
            return {}
        ms = {
            name: (cpu - self.base.get(name, 0.0)) * 1e3 / frames
            for name, cpu in sorted(self.last.items())
        }
        process = ms.pop(_PROCESS)
        ms["other"] = max(0.0, process - sum(ms.values()))
        ms[_PROCESS] = process
        return {name: round(value, 4) for name, value in ms.items()}


_PROCESS = "process"


def _late_broker(daemon: Any, port: int, after: int, workdir: Path, out: dict[str, Any]) -> None:
    """Wait for ``after`` frames with the broker down, then start it and time the drain."""
    from edge.testing.broker import LocalBroker

    while (running := daemon.running) is None or running.pipeline.progress < after:
        if running is not None and running.pipeline.finished:
            break
        time.sleep(0.05)
    out["offline"] = _snapshot(running)
    out["offline"]["vm_rss_mb"] = round(_vm("VmRSS"), 1)
    out["offline"]["vm_hwm_mb"] = round(_vm("VmHWM"), 1)
    frames_before = running.stats.frames
    broker = LocalBroker(port=port, workdir=workdir)
    started = time.monotonic()
    broker.start()
    try:
        connected_at = None
        while running.outbox.depth() > 0:
            if connected_at is None and running.publisher.connected:
                connected_at = time.monotonic()
            time.sleep(0.02)
        done = time.monotonic()
        out["drain_s"] = round(done - started, 3)
        out["drain_after_connect_s"] = round(done - (connected_at or started), 3)
        out["frames_during_drain"] = running.stats.frames - frames_before
        daemon.request_stop("drained")
    finally:  # stopped by probe() once the daemon has flushed and said "stopped"
        out["_broker"] = broker


def _latency(lat: dict[str, Any]) -> dict[str, Any]:
    return {k: lat[k] for k in ("total", "segment", "preprocess", "analyse") if k in lat}


def _snapshot(running: Any) -> dict[str, Any]:
    return {
        "frames": running.stats.frames,
        "fps": round(running.stats.fps(), 3),
        "latency_ms": _latency(running.stats.latency()),
        "outbox_depth": running.outbox.depth(),
    }


def probe(
    config: Path, max_frames: int | None, late_broker_after: int | None = None
) -> dict[str, Any]:
    """Run the daemon on ``config``; the measurements as a dict."""
    import edge.device.daemon as daemon_module
    from edge.device.config import load_config

    cfg = load_config(config)
    daemon_module.Outbox = TimedOutbox  # type: ignore[misc]  # the one instrument, see above
    daemon = daemon_module.Daemon(cfg)
    extra: dict[str, Any] = {}
    watcher = None
    if late_broker_after is not None:
        watcher = threading.Thread(
            target=_late_broker,
            args=(daemon, cfg.mqtt.port, late_broker_after, cfg.state_dir / "broker", extra),
            daemon=True,
        )
        watcher.start()
    started = time.monotonic()

    def progress() -> int:
        running = daemon.running
        return 0 if running is None else running.pipeline.progress

    with ThreadCpu(progress) as thread_cpu:
        summary = daemon.run(max_frames=None if late_broker_after is not None else max_frames)
    wall = time.monotonic() - started
    if watcher is not None:
        watcher.join(10)
        broker = extra.pop("_broker", None)
        if broker is not None:
            broker.cleanup()
    box = TimedOutbox.last
    if box is None:
        raise RuntimeError("the daemon did not use the probe's TimedOutbox")
    result: dict[str, Any] = {
        "exit_code": summary.exit_code,
        "wall_s": round(wall, 3),
        "frames": summary.frames,
        "fps": summary.fps,
        "latency_ms": _latency(summary.latency_ms),
        "outbox_depth_end": box.depth_at_close,
        "queue_drops": summary.queue_drops,
        "frames_bad": summary.frames_bad,
        "alerts_sent": summary.alerts_sent,
        "alerts_stored": len(box.put_at),
        "alerts_acked": len(box.acked_at),
        "latencies_ms": box.latencies_ms(),
        "thread_cpu_ms_per_frame": thread_cpu.ms_per_frame(),
        "vm_hwm_mb": round(_vm("VmHWM"), 1),
        "vm_rss_mb": round(_vm("VmRSS"), 1),
        **extra,
    }
    return result


def run_probe(
    config: Path,
    *,
    max_frames: int | None = None,
    late_broker_after: int | None = None,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run :func:`probe` in a fresh interpreter; its result plus ``peak_rss_mb`` (wait4)."""
    import subprocess

    from bench.common import wait_peak_rss_mb

    out = config.with_suffix(".probe.json")
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.probe", str(config), str(out), "-v"]
    if max_frames is not None:
        cmd += ["--max-frames", str(max_frames)]
    if late_broker_after is not None:
        cmd += ["--late-broker-after", str(late_broker_after)]
    log_path = config.with_suffix(".probe.log")
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT)
        code, peak = wait_peak_rss_mb(proc, timeout)
    if not out.is_file():
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"bench.probe {config} exited {code} without results:\n{tail}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["peak_rss_mb"] = round(peak, 1)
    result["log"] = str(log_path)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--late-broker-after", type=int, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result = probe(args.config, args.max_frames, args.late_broker_after)
    result["pid"] = os.getpid()
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return 0 if result["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
