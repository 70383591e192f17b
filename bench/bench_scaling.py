"""How the daemon's latency and memory grow with input resolution and with outbox depth.

* **Resolution**: the phantom replay (fps 0, no frame dropped) at 160×120 (Lepton) and 640×480
  (DMR-IR), per segmenter: per-frame latency p50/p99 (the stats' ``total``: preprocess, segment,
  analyse, alert) and the daemon's peak RSS.
* **Outbox depth**: 0, 10k and 100k alerts already queued (the broker is down), put there with
  :meth:`edge.comms.outbox.Outbox.put` itself (a template per depth is filled once and cached in
  ``bench/.cache``, keyed by ``edge/comms/outbox.py``'s content, then copied). The daemon runs with
  the broker down for 40 frames at the camera's rate (replay at 8.7 Hz: per-frame latency, RSS),
  then the broker starts: drain time until the outbox is empty, frames processed meanwhile.

The daemon runs in a child (:mod:`bench.probe`); figures are medians of ``repeats`` runs.

    python -m bench.bench_scaling            # 3 runs per point (the 100k drain: 1 run)
    python -m bench.bench_scaling --quick    # 1 run, depths 0 and 300
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_pipeline import capture_section, segmenters
from bench.common import (
    DEFAULT_QUANT,
    LEPTON_HZ,
    OPTIONS,
    ROOT,
    bench_main,
    daemon_config,
    median,
    print_table,
    replay_files,
    write_config,
)
from bench.probe import run_probe
from edge.comms.outbox import Outbox, OutboxConfig
from edge.device.daemon import OUTBOX_FILE
from edge.testing.broker import LocalBroker, free_port

__all__ = ["filled_outbox", "run"]

log = logging.getLogger(__name__)

CACHE = Path(os.environ.get("THERMOSEG_BENCH_CACHE", ROOT / "bench" / ".cache"))
RESOLUTIONS = {"160x120": "lepton", "640x480": "dmr"}


def filled_outbox(depth: int) -> Path:
    """A cached outbox database holding ``depth`` alerts, each stored by ``Outbox.put``."""
    from tests.edge.mqtt_helpers import alert_payload

    code = hashlib.sha256((ROOT / "edge" / "comms" / "outbox.py").read_bytes()).hexdigest()[:12]
    path = CACHE / f"outbox-{depth}-{code}.sqlite3"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    log.info("filling an outbox with %d alerts (once; cached as %s)", depth, path)
    with Outbox(partial, OutboxConfig(max_messages=max(depth, 1))) as box:
        for i in range(depth):
            payload = alert_payload(i, device="bench")
            box.put("thermoseg/bench/alerts", json.dumps(payload).encode(), qos=1)
    partial.rename(path)  # closed: the WAL is checkpointed into the main file
    return path


def _point(
    folder: Path,
    files: list[Path],
    seg: dict[str, Any],
    *,
    port: int,
    frames: int,
    backlog: Path | None = None,
    fps: float = 0.0,
) -> dict[str, Any]:
    source = {"type": "replay", "files": [str(f) for f in files], "fps": fps, "loop": True}
    data = daemon_config(
        folder / "state", port, source, seg, capture=capture_section(), stats={"window": 100_000}
    )
    config = write_config(folder / "device.toml", data)
    if backlog is None:
        with LocalBroker(port=port, workdir=folder / "broker"):
            return run_probe(config, max_frames=frames)
    (folder / "state").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(backlog, folder / "state" / OUTBOX_FILE)
    return run_probe(config, late_broker_after=frames, timeout=900)


def _resolution_rows(
    folder: Path, segs: dict[str, dict[str, Any]], repeats: int, frames: int, subjects: int
) -> dict[str, Any]:
    inputs = {
        name: replay_files(folder / f"frames-{name}", subjects, seed=11, resolution=res)
        for name, res in RESOLUTIONS.items()
    }
    runs: dict[str, list[dict[str, Any]]] = {}
    for repeat in range(repeats):
        for seg_name, seg in segs.items():
            for res_name, files in inputs.items():
                where = folder / f"res-{seg_name.replace(' ', '-')}-{res_name}-{repeat}"
                r = _point(where, files, seg, port=free_port(), frames=frames)
                runs.setdefault(f"{seg_name} @ {res_name}", []).append(
                    {
                        "fps": r["fps"],
                        "total_p50_ms": r["latency_ms"]["total"]["p50"],
                        "total_p99_ms": r["latency_ms"]["total"]["p99"],
                        "preprocess_p50_ms": r["latency_ms"]["preprocess"]["p50"],
                        "analyse_p50_ms": r["latency_ms"]["analyse"]["p50"],
                        "peak_rss_mb": r["peak_rss_mb"],
                    }
                )
    return {k: {f: median(r[f] for r in rows) for f in rows[0]} for k, rows in runs.items()}


def _outbox_rows(
    folder: Path, seg: dict[str, Any], depths: tuple[int, ...], repeats: int, frames: int
) -> dict[str, Any]:
    files = replay_files(folder / "frames-outbox", 6, seed=11)
    rows: dict[str, Any] = {}
    for depth in depths:
        backlog = filled_outbox(depth)
        n = 1 if depth >= 100_000 else repeats  # a 100k drain is long: one run
        samples = []
        for repeat in range(n):
            where = folder / f"outbox-{depth}-{repeat}"
            r = _point(
                where, files, seg, port=free_port(), frames=frames, backlog=backlog, fps=LEPTON_HZ
            )
            offline = r["offline"]
            samples.append(
                {
                    "offline_total_p50_ms": offline["latency_ms"]["total"]["p50"],
                    "offline_total_p99_ms": offline["latency_ms"]["total"]["p99"],
                    "offline_rss_mb": offline["vm_rss_mb"],
                    "peak_rss_mb": r["peak_rss_mb"],
                    "drain_s": r["drain_s"],
                    "drain_after_connect_s": r["drain_after_connect_s"],
                    "drain_per_s": depth / r["drain_s"] if depth else float("nan"),
                    "frames_during_drain": r["frames_during_drain"],
                    "run_total_p99_ms": r["latency_ms"]["total"]["p99"],
                    "left_in_outbox": r["outbox_depth_end"],
                }
            )
        rows[str(depth)] = {
            "runs": n,
            **{f: median(s[f] for s in samples) for f in samples[0]},
        }
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    """Latency/RSS against resolution and outbox depth; medians over the runs."""
    repeats, frames, subjects = (1, 30, 4) if quick else (3, 150, 8)
    depths: tuple[int, ...] = (0, 300) if quick else (0, 10_000)
    if OPTIONS["long"]:  # ``bench.run --long``: the 100k drain alone takes minutes
        depths += (100_000,)
    segs = segmenters(quick=True)  # codebook and the shipped default lite model
    with tempfile.TemporaryDirectory(prefix="thermoseg-bench-scale-") as tmp:
        folder = Path(tmp)
        resolution = _resolution_rows(folder, segs, repeats, frames, subjects)
        default = segs[f"tflite lite {DEFAULT_QUANT}"]
        offline = 10 if quick else 40
        outbox = _outbox_rows(folder, default, depths, repeats, offline)
    return {
        "runs": repeats,
        "frames_per_run": frames,
        "resolution": resolution,
        "outbox_segmenter": f"tflite lite {DEFAULT_QUANT}",
        "outbox_offline_frames": offline,
        "outbox": outbox,
    }


def print_result(result: dict[str, Any]) -> None:
    print_table(
        f"Scaling with input resolution (median of {result['runs']} runs × "
        f"{result['frames_per_run']} frames)",
        ["segmenter @ input", "frames/s", "frame p50 ms", "p99 ms", "preproc p50", "analyse p50",
         "peak RSS MB"],
        [
            [k, r["fps"], r["total_p50_ms"], r["total_p99_ms"], r["preprocess_p50_ms"],
             r["analyse_p50_ms"], r["peak_rss_mb"]]
            for k, r in result["resolution"].items()
        ],
    )  # fmt: skip
    print_table(
        f"Scaling with outbox depth (replay at 8.7 Hz, broker down for "
        f"{result['outbox_offline_frames']} frames, then up; "
        f"{result['outbox_segmenter']})",
        ["queued alerts", "runs", "frame p50 ms (down)", "p99 ms (down)", "RSS MB (down)",
         "peak RSS MB", "drain s", "drained/s", "frames while draining", "p99 ms (whole run)"],
        [
            [depth, r["runs"], r["offline_total_p50_ms"], r["offline_total_p99_ms"],
             r["offline_rss_mb"], r["peak_rss_mb"], r["drain_s"], r["drain_per_s"],
             r["frames_during_drain"], r["run_total_p99_ms"]]
            for depth, r in result["outbox"].items()
        ],
    )  # fmt: skip


def main() -> None:
    bench_main(__doc__, run, print_result, "1 run, small outbox depths", log_level=logging.INFO)


if __name__ == "__main__":
    main()
