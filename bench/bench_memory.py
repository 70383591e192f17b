"""Memory and start-up of the real daemon process (``python -m edge.cli.main run``), per segmenter.

For each segmenter the daemon runs as a child on the phantom replay (fps 0, ``--max-frames``)
with a real mosquitto, ``$NOTIFY_SOCKET`` pointing at a socket we listen on, and a subscriber on
its status topic. Measured, median of ``repeats`` runs:

* peak RSS: the child's ``VmHWM`` (the kernel's high-water mark of its resident set);
* start-up: process start -> ``READY=1`` on the notify socket, and -> the first retained
  ``online`` status received by the subscriber (the broker's view of a device that is up);
* import time: ``python -X importtime -c "import edge.device.daemon"`` (cumulative µs of the
  ``edge.device.daemon`` line) and the wall time of that command minus ``python -c pass``;
* what the libraries cost: peak RSS of ``python -c "import X"`` for the big imports.

    python -m bench.bench_memory            # 3 runs per segmenter
    python -m bench.bench_memory --quick    # 1 run, codebook and the shipped default
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_pipeline import capture_section, segmenters
from bench.common import (
    bench_main,
    daemon_config,
    median,
    print_table,
    replay_files,
    wait_peak_rss_mb,
    write_config,
)
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker

__all__ = ["import_costs", "run", "startup_run"]

log = logging.getLogger(__name__)

TARGET_RSS_MB = 120.0
IMPORTS = {
    "python": "pass",
    "numpy": "import numpy",
    "numpy+cv2": "import numpy, cv2",
    "pydantic+paho": "import pydantic, paho.mqtt.client",
    "LiteRT interpreter": "from ai_edge_litert.interpreter import Interpreter",
    "edge.device.daemon": "import edge.device.daemon",
}


def _child_peak(code: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of ``python -c code``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    wall = time.perf_counter() - start
    # The pause lets the VmHWM poll see the process after its imports.
    proc = subprocess.Popen(
        [sys.executable, "-c", code + "; import time; time.sleep(0.25)"], stdout=subprocess.DEVNULL
    )
    _, peak = wait_peak_rss_mb(proc, 120)
    return wall, peak


def import_costs(repeats: int) -> dict[str, Any]:
    """Peak RSS and wall time of the big imports; ``-X importtime`` of ``edge.device.daemon``."""
    rows: dict[str, dict[str, float]] = {}
    for name, code in IMPORTS.items():
        samples = [_child_peak(code) for _ in range(repeats)]
        rows[name] = {
            "wall_s": round(median(s[0] for s in samples), 3),
            "peak_rss_mb": round(median(s[1] for s in samples), 1),
        }
    cumulative = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import edge.device.daemon"],
            capture_output=True,
            text=True,
            check=True,
        )
        for line in proc.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == "edge.device.daemon":
                cumulative.append(int(parts[1]) / 1e6)
    return {
        "imports": rows,
        "importtime_edge_daemon_s": round(median(cumulative), 3),
        "import_wall_minus_python_s": round(
            rows["edge.device.daemon"]["wall_s"] - rows["python"]["wall_s"], 3
        ),
    }


class _NotifyListener:
    """A ``$NOTIFY_SOCKET`` stand-in: notes when ``READY=1`` arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.ready_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            if b"READY=1" in data.split(b"\n") and self.ready_at is None:
                self.ready_at = time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def startup_run(
    folder: Path, broker: LocalBroker, files: list[Path], seg: dict[str, Any], frames: int
) -> dict[str, Any]:
    """One daemon process: peak RSS, start -> READY=1, start -> first ``online`` status."""
    device = f"mem-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    source = {"type": "replay", "files": [str(f) for f in files], "fps": 0.0, "loop": True}
    data = daemon_config(folder / "state", broker.port, source, seg, capture=capture_section())
    data["device_id"] = device
    config = write_config(folder / "device.toml", data)
    online_at: list[float] = []

    def on_message(topic: str, payload: dict[str, Any]) -> None:
        if payload.get("device") == device and payload.get("state") == "online" and not online_at:
            online_at.append(time.monotonic())

    sub = Subscriber(
        MqttConfig(host=broker.host, port=broker.port),
        f"thermoseg/{device}/status",
        on_message=on_message,
    )
    sub.start()
    sub.wait_subscribed(10)
    notify = _NotifyListener(folder / "notify.sock")
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path)}
    env.pop("WATCHDOG_USEC", None)
    cmd = [sys.executable, "-m", "edge.cli.main", "-v", "run", "--config", str(config)]
    try:
        with (folder / "daemon.log").open("w") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                [*cmd, "--max-frames", str(frames)], stdout=out, stderr=subprocess.STDOUT, env=env
            )
            code, peak = wait_peak_rss_mb(proc, 300)
        deadline = time.monotonic() + 5
        while not online_at and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        notify.close()
        sub.stop()
    if code != 0:
        tail = (folder / "daemon.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"daemon exited {code} ({seg}):\n{tail}")
    return {
        "peak_rss_mb": round(peak, 1),
        "ready_s": round(notify.ready_at - started, 3) if notify.ready_at else float("nan"),
        "online_s": round(online_at[0] - started, 3) if online_at else float("nan"),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Peak RSS and start-up per segmenter, and the import costs; medians over the runs."""
    repeats, frames = (1, 20) if quick else (3, 150)
    segs = segmenters(quick)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in segs}
    with tempfile.TemporaryDirectory(prefix="thermoseg-bench-mem-") as tmp:
        folder = Path(tmp)
        files = replay_files(folder / "frames", 6, seed=11)
        with LocalBroker(workdir=folder / "broker") as broker:
            for repeat in range(repeats):
                for name, seg in segs.items():
                    where = folder / f"{name.replace(' ', '-')}-{repeat}"
                    runs[name].append(startup_run(where, broker, files, seg, frames))
    summary = {
        name: {key: median(r[key] for r in rows) for key in rows[0]} for name, rows in runs.items()
    }
    for row in summary.values():
        row["within_target"] = row["peak_rss_mb"] <= TARGET_RSS_MB
    return {
        "runs": repeats,
        "frames_per_run": frames,
        "target_rss_mb": TARGET_RSS_MB,
        "segmenters": summary,
        "per_run": runs,
        **import_costs(repeats),
    }


def print_result(result: dict[str, Any]) -> None:
    print_table(
        f"Daemon memory and start-up (median of {result['runs']} runs; target peak RSS <= "
        f"{result['target_rss_mb']:.0f} MB with the lite model)",
        ["segmenter", "peak RSS MB", "start -> READY=1 s", "start -> status online s"],
        [
            [name, r["peak_rss_mb"], r["ready_s"], r["online_s"]]
            for name, r in result["segmenters"].items()
        ],
    )
    print_table(
        "What the imports cost (python -c 'import X')",
        ["import", "peak RSS MB", "wall s"],
        [[name, r["peak_rss_mb"], r["wall_s"]] for name, r in result["imports"].items()],
    )
    print(
        f"import edge.device.daemon: {result['importtime_edge_daemon_s']:.3f} s by -X importtime, "
        f"{result['import_wall_minus_python_s']:.3f} s wall over a bare interpreter"
    )


def main() -> None:
    bench_main(__doc__, run, print_result, "1 run, codebook and the shipped default only")


if __name__ == "__main__":
    main()
