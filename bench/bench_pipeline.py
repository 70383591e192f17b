"""End to end: the daemon replaying recorded frames as fast as it can, alerts to a real mosquitto.

Frames are phantoms written by :func:`edge.phantom.write_dataset` (Lepton 160×120), replayed in a
camera-like order (each abnormal subject held 8 frames, each normal one 4: alerts open and end
again and again) with ``fps = 0`` and ``capture.when_full = "block"`` (no frame is dropped, the
camera thread waits for the worker). The daemon runs in a child process (:mod:`bench.probe`)
publishing to a :class:`~edge.testing.broker.LocalBroker` with a QoS 1 subscriber attached.

Per segmenter (LiteRT threads "auto", the CPUs less one, unless named; 1 OpenCV thread):

* end-to-end frames/s (processed frames over the time between the first and last one);
* capture-to-PUBACK latency of the alerts (p50/p99), split at the outbox write;
* raw interpreter frames/s of the same ``.tflite`` file (``invoke()`` only, input already set,
  same threads) measured just before each run, and the ratio end-to-end ÷ raw: our overhead;
* headroom: end-to-end frames/s ÷ 8.7 Hz, the Lepton's rate;
* the other processes on the same cores: mosquitto and the subscriber (this process) are not
  pinned away from the daemon; they share its cores as they would on a device running its own
  broker. Their CPU per frame is measured (``/proc/<pid>/stat`` of mosquitto, this process's
  CPU clock) and reported next to the ratio, so the share they take is visible. The raw
  ``invoke()`` figure is measured alone, with neither running;
* one core (not with ``--quick``): the shipped default again with this process, mosquitto and the
  daemon pinned to one CPU (``sched_setaffinity``, as ``taskset -c``), a stand-in for a small
  device: end-to-end frames/s and headroom over 8.7 Hz there.

Each figure is the median of ``repeats`` runs, the segmenters interleaved run by run.

    python -m bench.bench_pipeline            # 3 runs × 600 frames per segmenter
    python -m bench.bench_pipeline --quick    # 1 run × 40 frames, codebook and the shipped default
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    DEFAULT_QUANT,
    LEPTON_HZ,
    OPTIONS,
    bench_main,
    daemon_config,
    lite_model,
    median,
    model_origin,
    percentile,
    pinned,
    print_table,
    process_cpu_s,
    replay_files,
    write_config,
)
from bench.probe import run_probe
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.device.capture import CaptureConfig
from edge.segmenters.tflite import resolve_threads
from edge.testing.broker import LocalBroker

__all__ = ["capture_section", "raw_invoke_fps", "run", "segmenters"]

log = logging.getLogger(__name__)

QUANTS = (
    DEFAULT_QUANT,
    *(q for q in ("int8", "dynamic", "float16", "float32") if q != DEFAULT_QUANT),
)


def segmenters(quick: bool) -> dict[str, dict[str, Any]]:
    """Name -> segmenter config section; the shipped default lite model first after the codebook."""
    out: dict[str, dict[str, Any]] = {"codebook": {"type": "codebook"}}
    for quant in QUANTS[:1] if quick else QUANTS:
        out[f"tflite lite {quant}"] = {"type": "tflite", "model": str(lite_model(quant))}
    if not quick:
        # The shipped default with two LiteRT threads, against its "auto" (the CPUs less one).
        out[f"tflite lite {DEFAULT_QUANT}, 2 threads"] = {
            "type": "tflite", "model": str(lite_model(DEFAULT_QUANT)), "num_threads": 2,
        }  # fmt: skip
    return out


def capture_section() -> dict[str, Any]:
    """Replay must not lose frames: block the camera thread rather than drop (when supported)."""
    if "when_full" in CaptureConfig.model_fields:
        return {"queue_size": 2, "when_full": "block"}
    return {"queue_size": 1000}  # older runtime: a queue longer than the run


def raw_invoke_fps(model: Path, threads: int, seconds: float) -> float:
    """Frames/s of ``interpreter.invoke()`` alone on one phantom input, for about ``seconds``."""
    from edge.core.preprocess import to_model_input
    from edge.io.manifest import read_manifest
    from edge.phantom import generate
    from edge.segmenters._litert import make_interpreter

    manifest = read_manifest(model.with_suffix(".json"))
    image = to_model_input(generate(2025, 3).frame(), manifest.preprocess)
    interpreter = make_interpreter(model, threads)
    spec = manifest.input
    data = image[None].astype(np.dtype(spec.dtype))
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], data)
    for _ in range(5):
        interpreter.invoke()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        interpreter.invoke()
        count += 1
    return count / (time.perf_counter() - start)


def _collect(sub: Subscriber) -> set[tuple[str, str, str]]:
    """Distinct alert events received: an alert's updates differ by frame_sequence."""
    keys: set[tuple[str, str, str]] = set()
    while not sub.messages.empty():
        topic, p = sub.messages.get_nowait()
        if topic.endswith("/alerts"):
            keys.add((str(p.get("alert_id")), str(p.get("event")), str(p.get("frame_sequence"))))
    return keys


def _one_run(
    folder: Path, broker: LocalBroker, files: list[Path], seg: dict[str, Any], frames: int
) -> dict[str, Any]:
    source = {"type": "replay", "files": [str(f) for f in files], "fps": 0.0, "loop": True}
    data = daemon_config(
        folder / "state",
        broker.port,
        source,
        seg,
        capture=capture_section(),
        stats={"window": frames + 10},
    )
    config = write_config(folder / "device.toml", data)
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), "thermoseg/bench/alerts")
    sub.start()
    sub.wait_subscribed(10)
    broker_pid = broker._proc.pid if broker._proc is not None else -1
    broker_cpu, own_cpu = process_cpu_s(broker_pid), time.process_time()
    try:
        result = run_probe(config, max_frames=frames)
        broker_cpu = process_cpu_s(broker_pid) - broker_cpu
        own_cpu = time.process_time() - own_cpu
        deadline = time.monotonic() + 5
        received = _collect(sub)
        while len(received) < result["alerts_acked"] and time.monotonic() < deadline:
            time.sleep(0.1)
            received |= _collect(sub)
    finally:
        sub.stop()
    lat = result["latencies_ms"]
    return {
        "fps": result["fps"],
        "frames": result["frames"],
        "frame_total_p50_ms": result["latency_ms"]["total"]["p50"],
        "segment_p50_ms": result["latency_ms"]["segment"]["p50"],
        "alerts_acked": result["alerts_acked"],
        "alerts_received": len(received),
        "capture_to_puback_p50_ms": percentile(lat["capture_to_puback"], 50),
        "capture_to_puback_p99_ms": percentile(lat["capture_to_puback"], 99),
        "capture_to_put_p50_ms": percentile(lat["capture_to_put"], 50),
        "put_to_puback_p50_ms": percentile(lat["put_to_puback"], 50),
        "peak_rss_mb": result["peak_rss_mb"],
        "queue_drops": result["queue_drops"],
        "mosquitto_cpu_ms_per_frame": broker_cpu * 1e3 / max(result["frames"], 1),
        "subscriber_cpu_ms_per_frame": own_cpu * 1e3 / max(result["frames"], 1),
        "thread_cpu_ms_per_frame": result["thread_cpu_ms_per_frame"],
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Time every segmenter end to end; medians over the runs."""
    repeats, frames, subjects = (1, 40, 6) if quick else (3, 600, 12)
    segs = segmenters(quick)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in segs}
    with tempfile.TemporaryDirectory(prefix="thermoseg-bench-e2e-") as tmp:
        folder = Path(tmp)
        files = replay_files(folder / "frames", subjects, seed=11)
        with LocalBroker(workdir=folder / "broker") as broker:
            for repeat in range(repeats):
                for name, seg in segs.items():
                    raw = None
                    if seg["type"] == "tflite":
                        threads = resolve_threads(seg.get("num_threads", "auto"))
                        raw = raw_invoke_fps(Path(seg["model"]), threads, 1.0 if quick else 3.0)
                    row = _one_run(
                        folder / f"{name.replace(' ', '-')}-{repeat}", broker, files, seg, frames
                    )
                    row["raw_invoke_fps"] = raw
                    runs[name].append(row)
        one_core = (
            None
            if quick
            else _one_core(folder, files, segs[f"tflite lite {DEFAULT_QUANT}"], frames)
        )
    cores = len(OPTIONS["cores"] or os.sched_getaffinity(0))
    table: dict[str, Any] = {}
    for name, rows in runs.items():
        summary: dict[str, Any] = {
            key: median(r[key] for r in rows)
            for key in rows[0]
            if key not in ("raw_invoke_fps", "thread_cpu_ms_per_frame")
        }
        summary["thread_cpu_ms_per_frame"] = _median_thread_cpu(rows)
        # What a device pays per frame: the daemon's process and its broker (the subscriber is
        # this bench's own listener, not counted).
        summary["device_cpu_ms_per_frame"] = (
            summary["thread_cpu_ms_per_frame"].get("process", float("nan"))
            + summary["mosquitto_cpu_ms_per_frame"]
        )
        # The most frames/s the cores could run at that CPU cost, however well threads overlap.
        summary["cpu_bound_fps"] = 1e3 * cores / summary["device_cpu_ms_per_frame"]
        raws = [r["raw_invoke_fps"] for r in rows if r["raw_invoke_fps"] is not None]
        summary["raw_invoke_fps"] = median(raws) if raws else None
        summary["overhead_ratio"] = (
            median(r["fps"] / r["raw_invoke_fps"] for r in rows) if raws else None
        )
        summary["headroom_x"] = summary["fps"] / LEPTON_HZ
        if segs[name]["type"] == "tflite":
            summary["model"] = model_origin(Path(segs[name]["model"]))
        table[name] = summary
    return {
        "runs": repeats,
        "frames_per_run": frames,
        "replay": f"{len(files)} files from {subjects} phantom subjects, 160x120, fps 0",
        "cores": sorted(OPTIONS["cores"]) if OPTIONS["cores"] else "all",
        "segmenters": table,
        "one_core": one_core,
        "per_run": runs,
    }


def _median_thread_cpu(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Median over the runs of each daemon thread's CPU ms per frame (threads named alike)."""
    names = sorted({name for r in rows for name in r["thread_cpu_ms_per_frame"]})
    return {
        name: round(median(r["thread_cpu_ms_per_frame"].get(name, 0.0) for r in rows), 4)
        for name in names
    }


def _one_core(folder: Path, files: list[Path], seg: dict[str, Any], frames: int) -> dict[str, Any]:
    """The shipped default with everything (this process, mosquitto, the daemon) on one CPU."""
    core = min(OPTIONS["cores"] or os.sched_getaffinity(0))
    with pinned({core}), LocalBroker(workdir=folder / "broker-1core") as broker:
        raw = raw_invoke_fps(
            Path(seg["model"]), resolve_threads(seg.get("num_threads", "auto")), 3.0
        )
        row = _one_run(folder / "one-core", broker, files, seg, frames)
    return {
        "cpu": core,
        "fps": row["fps"],
        "headroom_x": row["fps"] / LEPTON_HZ,
        "raw_invoke_fps": raw,
        "overhead_ratio": row["fps"] / raw,
        "capture_to_puback_p50_ms": row["capture_to_puback_p50_ms"],
        "mosquitto_cpu_ms_per_frame": row["mosquitto_cpu_ms_per_frame"],
    }


def print_result(result: dict[str, Any]) -> None:
    rows = []
    for name, s in result["segmenters"].items():
        rows.append(
            [
                name,
                s["fps"],
                s["raw_invoke_fps"] if s["raw_invoke_fps"] is not None else float("nan"),
                s["overhead_ratio"] if s["overhead_ratio"] is not None else float("nan"),
                s["headroom_x"],
                s["frame_total_p50_ms"],
                s["capture_to_puback_p50_ms"],
                s["capture_to_puback_p99_ms"],
                f"{s['alerts_received']:.0f}/{s['alerts_acked']:.0f}",
            ]
        )
    print_table(
        f"End to end (replay fps 0 -> daemon -> mosquitto; median of {result['runs']} runs × "
        f"{result['frames_per_run']} frames)",
        [
            "segmenter",
            "frames/s",
            "raw invoke/s",
            "e2e ÷ raw",
            "÷ 8.7 Hz",
            "frame p50 ms",
            "cap→PUBACK p50",
            "p99",
            "alerts rx/acked",
        ],
        rows,
    )
    print(
        "mosquitto and the subscriber share the daemon's cores (CPU ms per frame): "
        + ", ".join(
            f"{name} {s['mosquitto_cpu_ms_per_frame']:.2f} + {s['subscriber_cpu_ms_per_frame']:.2f}"
            for name, s in result["segmenters"].items()
        )
    )
    for name, s in result["segmenters"].items():
        threads = ", ".join(
            f"{t} {ms:.2f}"
            for t, ms in s["thread_cpu_ms_per_frame"].items()
            if ms >= 0.005 and t != "process"
        )
        device = s["device_cpu_ms_per_frame"]
        print(
            f"{name}: daemon CPU ms per frame by thread: {threads} (other: LiteRT workers, "
            f"main thread); daemon + mosquitto {device:.2f} ms, so the cores allow at most "
            f"{s['cpu_bound_fps']:.0f} frames/s"
        )
    one = result.get("one_core")
    if one:
        print(
            f"one core (CPU {one['cpu']}; daemon, mosquitto and subscriber pinned): shipped {DEFAULT_QUANT} "
            f"{one['fps']:.1f} frames/s end to end, {one['headroom_x']:.2f}× 8.7 Hz, raw invoke "
            f"{one['raw_invoke_fps']:.1f}/s (e2e ÷ raw {one['overhead_ratio']:.2f})"
        )


def main() -> None:
    bench_main(__doc__, run, print_result, "1 run of 40 frames")


if __name__ == "__main__":
    main()
