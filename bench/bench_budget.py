"""Per-frame CPU budget of the daemon's stages, in CPU milliseconds per frame (not wall time).

The daemon's own code runs stage by stage in this process on the phantom replay (Lepton
160×120 ``.npy`` files, the same camera-like order as :mod:`bench.bench_pipeline`), with the
shipped default model (``edge/models/lite-<quant>.tflite``, the float32 model since v2) and the ROI and ΔT analysis of the
default config. Each stage is timed with the CPU clock of the thread that runs it in the
daemon, so other processes on the machine (a busy CI box) barely move the figures:

* ``read``: :meth:`ReplaySource.read` (file read, format sniffing, validation, the Frame);
* ``preprocess``: :func:`edge.core.screening.prepare` (breast ROI, resize, palette);
* ``invoke``: the interpreter's ``invoke()`` alone (process CPU: LiteRT's own worker threads
  count); ``segment wrapper``: what :meth:`TFLiteSegmenter.segment` adds around it
  (quantise, set/get tensor, threshold);
* ``analysis``: :func:`edge.core.screening.decide` (mask back to the frame, regions, ΔT);
* ``alerts+outbox``: the alert tracker and, for its events, schema check, JSON and the SQLite
  outbox write (:meth:`MqttPublisher.publish_alert`);
* ``snapshots``: the alert snapshots the daemon sends to a loopback broker by default
  (:class:`~edge.device.evidence.Evidence`: render, PNG, outbox write), spread over the frames;
  this replay opens an alert every few frames, far more often than a clinic would;
* ``mqtt``: the publisher's network thread (its own CPU clock, read through
  ``pthread_getcpuclockid``) sending those alerts to a real mosquitto and taking the PUBACKs,
  spread over the frames.

``non-model`` is the sum of every stage but ``invoke``: the CPU the daemon spends per frame
outside the model. The broker (mosquitto) is another process and is not counted here.

    python -m bench.bench_budget            # 600 frames, median of 3 passes
    python -m bench.bench_budget --quick    # 150 frames, 1 pass
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bench_main, lite_model, median, print_table, replay_files, thread_cpu_s

__all__ = ["STAGES", "TARGET_NON_MODEL_MS", "run"]

log = logging.getLogger(__name__)

TARGET_NON_MODEL_MS = 1.0
WARMUP = 10
STAGES = (
    "read",
    "preprocess",
    "segment wrapper",
    "invoke",
    "analysis",
    "alerts+outbox",
    "snapshots",
    "mqtt",
)


def _mqtt_cpu(publisher: Any) -> float:
    """CPU seconds of the publisher's network thread (0 when it has gone)."""
    seconds = thread_cpu_s(publisher._thread)
    return 0.0 if math.isnan(seconds) else seconds


def _no_op() -> None:
    return None


def _one_pass(
    files: list[Path], frames: int, state: Path, port: int, threads: int
) -> dict[str, float]:
    """CPU ms per frame of each stage over ``frames`` frames."""
    from edge.comms.config import MqttConfig
    from edge.comms.outbox import Outbox, OutboxConfig
    from edge.comms.publisher import MqttPublisher
    from edge.core.analysis import AnalysisConfig
    from edge.core.screening import decide, prepare
    from edge.device.alerts import AlertConfig, AlertTracker
    from edge.device.evidence import Evidence, EvidenceConfig
    from edge.segmenters.tflite import TFLiteConfig, TFLiteSegmenter
    from edge.sources.replay import ReplayConfig, ReplaySource

    seg = TFLiteSegmenter(TFLiteConfig(model=lite_model(), num_threads=threads))
    pre_cfg = seg.expected_preprocess()
    ana_cfg = AnalysisConfig()
    source = ReplaySource(ReplayConfig(files=files, fps=0.0, loop=True))
    source.start()
    state.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(state / "outbox.sqlite", OutboxConfig())
    publisher = MqttPublisher(MqttConfig(host="127.0.0.1", port=port), "budget", outbox)
    tracker = AlertTracker(AlertConfig(open_after=3, close_after=3, update_interval_s=1.0), "b")
    evidence = Evidence(EvidenceConfig(), pre_cfg, publisher.publish_snapshot)
    publisher.start()
    publisher.wait_connected(10)
    interpreter = seg._interpreters[0]  # the pool's one: this thread is the only caller
    describe = seg.describe()
    cpu = dict.fromkeys(STAGES, 0.0)
    tt, pt = time.thread_time, time.process_time
    for _ in range(WARMUP):  # first invokes and lazy imports are not the steady state
        warm = prepare(source.read(), pre_cfg)  # type: ignore[arg-type]
        decide(warm, seg.segment(warm.image), ana_cfg)
    mqtt_start = _mqtt_cpu(publisher)
    for _ in range(frames):
        t0 = tt()
        frame = source.read()
        t1 = tt()
        prepared = prepare(frame, pre_cfg)  # type: ignore[arg-type]
        t2 = tt()
        p2 = pt()
        mask = seg.segment(prepared.image)
        p3 = pt()
        interpreter.invoke = _no_op  # the same call again without the model: the wrapper
        t4 = tt()
        seg.segment(prepared.image)
        t5 = tt()
        del interpreter.invoke
        t6 = tt()
        mask_in_frame, analysis = decide(prepared, mask, ana_cfg)
        t7 = tt()
        events = tracker.update(analysis, prepared.frame, describe)
        t8 = tt()
        for event in events:  # as the pipeline: the snapshot first, then the alert naming it
            evidence(event, prepared.frame, mask_in_frame, analysis)
        t9 = tt()
        for event in events:
            publisher.publish_alert(event)
        t10 = tt()
        cpu["read"] += t1 - t0
        cpu["preprocess"] += t2 - t1
        cpu["invoke"] += max(0.0, (p3 - p2) - (t5 - t4))
        cpu["segment wrapper"] += t5 - t4
        cpu["analysis"] += t7 - t6
        cpu["alerts+outbox"] += (t8 - t7) + (t10 - t9)
        cpu["snapshots"] += t9 - t8
    deadline = time.monotonic() + 10
    while outbox.depth() and time.monotonic() < deadline:
        time.sleep(0.02)
    cpu["mqtt"] = _mqtt_cpu(publisher) - mqtt_start
    publisher.stop()
    outbox.close()
    seg.close()
    source.stop()
    out = {k: v * 1e3 / frames for k, v in cpu.items()}
    out["non-model"] = sum(v for k, v in out.items() if k != "invoke")
    return out


def run(quick: bool = False, threads: int | None = None) -> dict[str, Any]:
    """Median over the passes of each stage's CPU ms per frame (``threads`` LiteRT threads;
    None: the daemon's "auto")."""
    from edge.segmenters.tflite import resolve_threads
    from edge.testing.broker import LocalBroker

    threads = resolve_threads("auto") if threads is None else threads
    passes, frames = (1, 150) if quick else (3, 600)
    with tempfile.TemporaryDirectory(prefix="thermoseg-bench-budget-") as tmp:
        folder = Path(tmp)
        files = replay_files(folder / "frames", 12, seed=11)
        with LocalBroker(workdir=folder / "broker") as broker:
            rows = [
                _one_pass(files, frames, folder / f"state-{i}", broker.port, threads)
                for i in range(passes)
            ]
    keys = [*STAGES, "non-model"]
    table = {k: round(median(r[k] for r in rows), 4) for k in keys}
    return {
        "passes": passes,
        "frames_per_pass": frames,
        "model": f"shipped {lite_model().name}, {threads} LiteRT thread(s)",
        "cpu_ms_per_frame": table,
        "per_pass": [{k: round(r[k], 4) for k in keys} for r in rows],
        "non_model_target_ms": TARGET_NON_MODEL_MS,
    }


def print_result(result: dict[str, Any]) -> None:
    ms = result["cpu_ms_per_frame"]
    rows = [[k, ms[k]] for k in STAGES]
    rows.append(["non-model (all but invoke)", ms["non-model"]])
    print_table(
        f"CPU budget per frame ({result['model']}; median of {result['passes']} passes × "
        f"{result['frames_per_pass']} frames; CPU clocks, mosquitto not counted)",
        ["stage", "CPU ms/frame"],
        rows,
    )


def main() -> None:
    bench_main(__doc__, run, print_result, "1 pass of 150 frames")


if __name__ == "__main__":
    main()
