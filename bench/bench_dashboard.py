"""Alert evidence and the clinic dashboard: snapshot size and cost per alert on the device, and
alert-to-screen latency in a real browser with the daemon at the camera's rate.

1. ``snapshot``: synthetic Lepton frames (160×120, abnormal phantoms) through the codebook and the
   analysis, then what an alert with a snapshot adds on the device: rendering + PNG encoding
   (:func:`edge.io.snapshot.render_snapshot`) and storing the PNG in the SQLite outbox
   (``synchronous=FULL``, one fsync). Median and p99 ms, PNG bytes.
2. ``latency``: a real mosquitto, the daemon (synthetic camera at 8.7 fps, codebook, alerts
   opening and ending every few seconds) and ``thermoseg-edge dashboard`` as processes, the page
   open in headless Chromium. For each alert event the page records when it rendered it
   (``window.thermosegShown``); latency = that instant minus the event's frame timestamp, i.e.
   capture to screen, including the pipeline, the outbox, the broker, the store and the SSE hop.
   Same machine, same clock.

    python -m bench.bench_dashboard [--quick] [--json FILE]
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import LEPTON_HZ, bench_main, machine, median, percentile, print_table

__all__ = ["bench_latency", "bench_snapshot", "run"]


def bench_snapshot(n: int) -> dict[str, Any]:
    from edge.comms.outbox import Outbox, OutboxConfig
    from edge.core.analysis import AnalysisConfig
    from edge.core.preprocess import PreprocessConfig
    from edge.core.screening import screen_frame
    from edge.io.snapshot import render_snapshot
    from edge.phantom.generator import generate
    from edge.segmenters import CodebookConfig, create_segmenter

    seg = create_segmenter(CodebookConfig())
    pre, ana = PreprocessConfig(), AnalysisConfig()
    render_ms, put_ms, sizes = [], [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Outbox(Path(tmp) / "o.sqlite", OutboxConfig()) as box,
    ):
        for i in range(n):
            frame = generate(7, i % 6, stage="advanced" if i % 2 else "middle").frame(i)
            decision = screen_frame(frame, seg.segment, pre, ana)
            t0 = time.perf_counter()
            shot = render_snapshot(frame, decision.mask, decision.analysis.regions)
            hashlib.sha256(shot.png).hexdigest()
            t1 = time.perf_counter()
            box.put(f"thermoseg/bench/alerts/{i:032x}/snapshot", shot.png)
            t2 = time.perf_counter()
            render_ms.append((t1 - t0) * 1e3)
            put_ms.append((t2 - t1) * 1e3)
            sizes.append(len(shot.png))
    seg.close()
    return {
        "frames": n,
        "size": f"{shot.width}x{shot.height}",
        "png_bytes_median": int(median(sizes)),
        "png_bytes_max": max(sizes),
        "render_encode_ms": {"p50": median(render_ms), "p99": percentile(render_ms, 99)},
        "outbox_put_ms": {"p50": median(put_ms), "p99": percentile(put_ms, 99)},
    }


def _device_toml(state: Path, port: int) -> str:
    return f"""
device_id = "bench-dash"
state_dir = "{state}"
[source]
type = "synthetic"
seed = 0
fps = {LEPTON_HZ}
loop = true
y16 = true
script = [{{ stage = "normal", frames = 12 }}, {{ stage = "advanced", frames = 20 }}]
[segmenter]
type = "codebook"
[alerts]
open_after = 3
close_after = 5
update_interval_s = 2.0
[mqtt]
host = "127.0.0.1"
port = {port}
[stats]
interval_s = 1.0
"""


def bench_latency(seconds: float) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from edge.testing.broker import LocalBroker, free_port

    browser_exe, driver_exe = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser_exe or not driver_exe:
        return {"skipped": "chromium/chromedriver missing (make system-deps)"}
    with tempfile.TemporaryDirectory() as tmp, LocalBroker(workdir=Path(tmp) / "b") as broker:
        cfg = Path(tmp) / "device.toml"
        cfg.write_text(_device_toml(Path(tmp) / "state", broker.port))
        web = free_port()
        cli = [sys.executable, "-m", "edge.cli.main"]
        dash = subprocess.Popen(
            [*cli, "dashboard", "--broker", f"127.0.0.1:{broker.port}", "--port", str(web),
             "--db", str(Path(tmp) / "d.sqlite3")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        options = webdriver.ChromeOptions()
        options.binary_location = browser_exe
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(executable_path=driver_exe), options=options)
        daemon = None
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{web}/api/devices", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            driver.get(f"http://127.0.0.1:{web}/")
            time.sleep(1.0)
            daemon = subprocess.Popen(
                [*cli, "run", "--config", str(cfg), "--max-seconds", str(seconds)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            daemon.wait(seconds + 60)
            time.sleep(1.5)
            shown = driver.execute_script("return window.thermosegShown")
        finally:
            driver.quit()
            if daemon is not None and daemon.poll() is None:
                daemon.kill()
            dash.terminate()
            dash.wait(20)
    first: dict[tuple[str, str, str], float] = {}
    for s in shown:
        key = (s["alert_id"], s["event"], s["timestamp"])
        frame_ms = datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")).timestamp() * 1e3
        first.setdefault(key, s["shown_ms"] - frame_ms)
    lat = list(first.values())
    new = [v for (_, ev, _), v in first.items() if ev == "new"]
    return {
        "seconds": seconds,
        "camera_fps": LEPTON_HZ,
        "events": len(lat),
        "all_ms": {"p50": median(lat), "p99": percentile(lat, 99)},
        "new_with_snapshot_ms": {"p50": median(new), "p99": percentile(new, 99), "n": len(new)},
    }


def run(quick: bool) -> dict[str, Any]:
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    return {
        "machine": machine(),
        "snapshot": bench_snapshot(15 if quick else 60),
        "latency": bench_latency(15.0 if quick else 45.0),
    }


def print_result(r: dict[str, Any]) -> None:
    s = r["snapshot"]
    print_table(
        "snapshot per alert on the device",
        ("what", "p50", "p99"),
        [
            ("render + PNG encode (ms)", f"{s['render_encode_ms']['p50']:.2f}", f"{s['render_encode_ms']['p99']:.2f}"),
            ("outbox put, fsync (ms)", f"{s['outbox_put_ms']['p50']:.2f}", f"{s['outbox_put_ms']['p99']:.2f}"),
            (f"PNG bytes ({s['size']})", s["png_bytes_median"], s["png_bytes_max"]),
        ],
    )  # fmt: skip
    lat = r["latency"]
    if "skipped" in lat:
        print("latency:", lat["skipped"])
        return
    print_table(
        f"alert-to-screen latency, daemon at {lat['camera_fps']} fps, {lat['seconds']:g} s",
        ("events", "n", "p50 ms", "p99 ms"),
        [
            ("all", lat["events"], f"{lat['all_ms']['p50']:.0f}", f"{lat['all_ms']['p99']:.0f}"),
            ("new (with snapshot)", lat["new_with_snapshot_ms"]["n"],
             f"{lat['new_with_snapshot_ms']['p50']:.0f}", f"{lat['new_with_snapshot_ms']['p99']:.0f}"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    bench_main(__doc__, run, print_result, "15 frames and 15 s instead of 60 and 45")
