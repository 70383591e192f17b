"""``make bench``: every benchmark on this machine, one summary table, ``bench/results.json``.

Sections (each also runs alone as ``python -m bench.<module>``):

1. ``segmenters``: the segmenters alone at 128×128: codebook frames/s on one core
   (:mod:`bench.bench_codebook`, CPU time) and with OpenCV on all cores (wall time), every TFLite
   variant of the lite and paper-size U-Net (:mod:`bench.bench_tflite`: size, median/p99 of the
   wrapper and of the raw ``invoke()``, 1 and 2 threads);
2. ``budget``: CPU milliseconds per frame of each stage of the daemon, and the sum outside the
   model (:mod:`bench.bench_budget`);
3. ``pipeline``: the daemon end to end (:mod:`bench.bench_pipeline`), overhead vs raw invoke,
   headroom against the Lepton's 8.7 Hz, and the same on one core;
4. ``memory``: peak RSS, start-up and import time of the daemon (:mod:`bench.bench_memory`);
5. ``scaling``: latency and RSS against input resolution and outbox depth
   (:mod:`bench.bench_scaling`); plus ``mqtt``: outbox and broker rates (:mod:`bench.bench_mqtt`);
6. ``dashboard``: snapshot size and cost per alert, alert-to-screen latency in headless Chromium
   (:mod:`bench.bench_dashboard`);
7. ``fuzz``: hostile inputs to every parser, counted accepted/refused/unexpected
   (:mod:`bench.bench_fuzz`).
8. ``hostile``: hostile input files (huge declared sizes, long thin arrays, big valid frames)
   through the reader and screening path, peak RSS and outcome each (:mod:`bench.bench_hostile`).

    python -m bench.run                     # everything (target: under 10 minutes, 2 idle cores)
    python -m bench.run --quick             # smoke sizes (about a minute)
    python -m bench.run --only pipeline,memory   # re-measure these, keep the rest
    python -m bench.run --long              # also the 100k-alert drain and the paper-size U-Net
    python -m bench.run --cores 0           # everything pinned to CPU 0 (like taskset -c 0)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_QUANT, LEPTON_HZ, OPTIONS, ROOT, machine, pinned, print_table

__all__ = ["SECTIONS", "codebook_all_cores", "main", "summary_rows"]

log = logging.getLogger(__name__)

RESULTS = ROOT / "bench" / "results.json"
RSS_TARGET_MB = 120.0


def codebook_all_cores(quick: bool) -> dict[str, Any]:
    """Codebook frames/s (wall) with OpenCV free to use every core, on abnormal phantoms."""
    import os

    import cv2

    from edge.core.preprocess import PreprocessConfig, to_model_input
    from edge.phantom import generate
    from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter

    images = [
        to_model_input(generate(7, i, stage="advanced").frame(), PreprocessConfig())
        for i in range(5 if quick else 20)
    ]
    seg = CodebookSegmenter(CodebookConfig())
    out: dict[str, Any] = {}
    for threads in (1, os.cpu_count() or 1):
        cv2.setNumThreads(threads)
        samples = []
        for _ in range(3 if quick else 7):
            start = time.perf_counter()
            for image in images:
                seg.segment(image)
            samples.append(len(images) / (time.perf_counter() - start))
        out[f"fps_wall_{threads}_threads"] = round(statistics.median(samples), 1)
    cv2.setNumThreads(1)
    return out


def _segmenters(quick: bool) -> dict[str, Any]:
    from bench import bench_codebook, bench_tflite

    return {
        "codebook": bench_codebook.run(quick),
        "codebook_all_cores": codebook_all_cores(quick),
        "tflite": bench_tflite.run(quick),
    }


def _mqtt(quick: bool) -> dict[str, Any]:
    from bench import bench_mqtt

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        bench_mqtt.run(quick)
    return {"lines": text.getvalue().splitlines()}


def _pipeline(quick: bool) -> dict[str, Any]:
    from bench import bench_pipeline

    return bench_pipeline.run(quick)


def _budget(quick: bool) -> dict[str, Any]:
    from bench import bench_budget

    return bench_budget.run(quick)


def _memory(quick: bool) -> dict[str, Any]:
    from bench import bench_memory

    return bench_memory.run(quick)


def _scaling(quick: bool) -> dict[str, Any]:
    from bench import bench_scaling

    return bench_scaling.run(quick)


def _dashboard(quick: bool) -> dict[str, Any]:
    from bench import bench_dashboard

    return bench_dashboard.run(quick)


def _fuzz(quick: bool) -> dict[str, Any]:
    from bench import bench_fuzz

    return bench_fuzz.run(quick)


def _hostile(quick: bool) -> dict[str, Any]:
    from bench import bench_hostile

    return bench_hostile.run(quick)


SECTIONS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "segmenters": _segmenters,
    "budget": _budget,
    "pipeline": _pipeline,
    "memory": _memory,
    "scaling": _scaling,
    "mqtt": _mqtt,
    "dashboard": _dashboard,
    "fuzz": _fuzz,
    "hostile": _hostile,
}


def summary_rows(results: dict[str, Any]) -> list[list[Any]]:
    """One line per headline figure: what, measured, target, verdict."""
    rows: list[list[Any]] = []
    budget = results.get("budget", {}).get("cpu_ms_per_frame")
    if budget:
        target = results["budget"]["non_model_target_ms"]
        rows.append(
            [
                f"shipped {DEFAULT_QUANT}: non-model CPU ms/frame",
                budget["non-model"],
                f"<= {target}",
                _ok(budget["non-model"] <= target),
            ]
        )
    e2e = results.get("pipeline", {}).get("segmenters", {})
    mem = results.get("memory", {}).get("segmenters", {})
    for name, s in e2e.items():
        rows.append([f"{name}: end-to-end frames/s", s["fps"], "", ""])
        rows.append(
            [
                f"{name}: headroom ÷ {LEPTON_HZ} Hz",
                s["headroom_x"],
                ">= 1",
                _ok(s["headroom_x"] >= 1),
            ]
        )
        if s.get("overhead_ratio") is not None:
            rows.append(
                [
                    f"{name}: e2e ÷ raw invoke",
                    s["overhead_ratio"],
                    ">= 0.90",
                    _ok(s["overhead_ratio"] >= 0.9),
                ]
            )
        rows.append(
            [
                f"{name}: capture→PUBACK p50/p99 ms",
                f"{s['capture_to_puback_p50_ms']:.1f} / {s['capture_to_puback_p99_ms']:.1f}",
                "",
                "",
            ]
        )
    one = results.get("pipeline", {}).get("one_core")
    if one:
        rows.append(
            [
                f"shipped {DEFAULT_QUANT}, one core: frames/s (÷ 8.7 Hz)",
                f"{one['fps']:.1f} ({one['headroom_x']:.2f}×)",
                ">= 1×",
                _ok(one["headroom_x"] >= 1),
            ]
        )
    for name, m in mem.items():
        target = f"<= {RSS_TARGET_MB:.0f}" if "lite" in name else ""
        rows.append(
            [
                f"{name}: daemon peak RSS MB",
                m["peak_rss_mb"],
                target,
                _ok(m["peak_rss_mb"] <= RSS_TARGET_MB) if target else "",
            ]
        )
        rows.append([f"{name}: start → status online s", m["online_s"], "", ""])
    if "memory" in results:
        rows.append(
            [
                "import edge.device.daemon s (-X importtime)",
                results["memory"]["importtime_edge_daemon_s"],
                "",
                "",
            ]
        )
    for depth, o in results.get("scaling", {}).get("outbox", {}).items():
        if int(depth):
            rows.append([f"outbox {int(depth):,} queued: drain s", o["drain_s"], "", ""])
    for name, f in results.get("fuzz", {}).get("targets", {}).items():
        rows.append(
            [
                f"fuzz {name}: unexpected of {f['tried']:,}",
                f["unexpected"],
                "0",
                _ok(not f["unexpected"]),
            ]
        )
    hostile = results.get("hostile", {}).get("inputs", {})
    if hostile:
        met = sum(bool(r["meets_target"]) for r in hostile.values())
        rows.append(
            [
                "hostile inputs processed < 300 MB RSS or refused",
                f"{met} / {len(hostile)}",
                "all",
                _ok(met == len(hostile)),
            ]
        )
    return rows  # fmt: skip


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def _print_sections(results: dict[str, Any]) -> None:
    from bench import bench_budget, bench_memory, bench_pipeline, bench_scaling

    m = results["machine"]
    print(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, load {m['load_avg_1m']} "
        f"at start; Python {m['python']}, numpy {m['numpy']}, OpenCV {m['opencv']}, "
        f"LiteRT {m['litert']}"
    )
    seg = results.get("segmenters")
    if seg:
        rows = [[k, r["fps_cpu"], r["fps_wall"]] for k, r in seg["codebook"]["rows"].items()]
        print_table(
            "Codebook alone, 1 core (bench_codebook)",
            ["variant", "frames/s CPU", "frames/s wall"],
            rows,
        )
        print(f"codebook, OpenCV on all cores (wall): {seg['codebook_all_cores']}")
        rows = []
        for model, spec in seg["tflite"]["models"].items():
            for quant, r in spec["variants"].items():
                row = [f"{model} {quant}", r["size_bytes"] / 1e6]
                for t in (1, 2):
                    w, i = r.get(f"wrapper_{t}t", {}), r.get(f"invoke_{t}t", {})
                    row += [
                        w.get("median_ms", float("nan")),
                        w.get("p99_ms", float("nan")),
                        i.get("median_ms", float("nan")),
                    ]
                rows.append(row)
        print_table(
            "TFLite alone at 128×128 (bench_tflite; ms; raw = invoke() only)",
            ["model", "MB", "1t median", "1t p99", "1t raw", "2t median", "2t p99", "2t raw"],
            rows,
        )
    if "budget" in results:
        bench_budget.print_result(results["budget"])
    if "pipeline" in results:
        bench_pipeline.print_result(results["pipeline"])
    if "memory" in results:
        bench_memory.print_result(results["memory"])
    if "scaling" in results:
        bench_scaling.print_result(results["scaling"])
    if "hostile" in results:
        from bench import bench_hostile

        bench_hostile.print_result(results["hostile"])
    if "mqtt" in results:
        print("\nMQTT (bench_mqtt)\n" + "\n".join(results["mqtt"]["lines"]))  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke sizes: fewer runs and frames")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--long",
        action="store_true",
        help="also the slow points (the 100k-alert outbox drain, the paper-size U-Net)",
    )
    parser.add_argument(
        "--cores",
        default=None,
        help="pin the bench and all it starts to these CPUs, e.g. 0 or 0,1 (as taskset -c)",
    )
    args = parser.parse_args(argv)
    cores = {int(c) for c in args.cores.split(",")} if args.cores else None
    if cores is not None and not cores <= os.sched_getaffinity(0):
        parser.error(
            f"--cores {args.cores}: this process may use CPUs {sorted(os.sched_getaffinity(0))}"
        )
    OPTIONS.update(long=args.long, cores=cores)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"--only: unknown section(s) {unknown}; expected some of {list(SECTIONS)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "long": args.long,
        "cores": sorted(cores) if cores else "all",
        "seconds": {},
    }
    if args.out.is_file() and set(names) != set(SECTIONS):
        # A partial re-run keeps the other sections of the last run (each section is stamped).
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if previous.get("quick") == args.quick and previous.get("cores") == results["cores"]:
            results = {**previous, **{k: results[k] for k in ("machine", "long", "cores")}}
    results.setdefault("measured_at", {})
    for name in names:
        results["measured_at"][name] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        start = time.monotonic()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        with pinned(cores):
            results[name] = SECTIONS[name](args.quick)
        results["seconds"][name] = round(time.monotonic() - start, 1)
    results["machine"]["load_avg_1m_end"] = machine()["load_avg_1m"]
    _print_sections(results)
    print_table("Summary", ["figure", "measured", "target", ""], summary_rows(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out} (sections took {results['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
