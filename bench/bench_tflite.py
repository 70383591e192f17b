"""Size and latency of every TFLite variant of the lite and the paper-size U-Net.

Models: ``lite`` is the trained ``runs/lite/model.keras`` when it exists, else an untrained
``build_unet(base_filters=8)`` (the lite preset's width; latency does not depend on the
weights); ``paper`` is an untrained ``build_unet(base_filters=64)`` (31 M parameters). Each is
converted once to float32, float16, dynamic and int8 (calibrated on phantom frames through the
real preprocessing) into ``bench/.cache`` (git-ignored), reused while the Keras file is unchanged.

Each variant is timed with 1 and 2 interpreter threads two ways on the same file:

* ``wrapper``: :meth:`TFLiteSegmenter.segment` on an RGB frame (quantise, invoke, dequantise,
  threshold): what the device pays per frame;
* ``invoke``: ``interpreter.invoke()`` alone, input already set: the model's own cost,
  so ``wrapper - invoke`` is the wrapper's overhead.

Reported: file size, median and p99 milliseconds over ``runs`` calls (after warm-up).

    python -m bench.bench_tflite            # both models, all variants
    python -m bench.bench_tflite --quick    # lite model only, fewer runs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import OPTIONS
from edge.core.preprocess import PreprocessConfig, to_model_input
from edge.io.manifest import QUANT_MODES, read_manifest
from edge.phantom import generate, write_dataset
from edge.segmenters._litert import make_interpreter
from edge.segmenters.tflite import TFLiteConfig, TFLiteSegmenter

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("THERMOSEG_BENCH_CACHE", ROOT / "bench" / ".cache"))
LITE_RUN = ROOT / "runs" / "lite" / "model.keras"
THREADS = (1, 2)


def _cache_dir() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")  # converted models never get committed
    return CACHE


def _keras_source(name: str, base_filters: int) -> Path:
    """The Keras file to convert: the trained lite run, else an untrained U-Net of that width."""
    if name == "lite" and LITE_RUN.is_file():
        return LITE_RUN
    path = _cache_dir() / f"untrained-{name}" / "model.keras"
    if not path.is_file():
        import keras

        from training.unet import build_unet

        keras.utils.set_random_seed(0)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_unet(base_filters=base_filters, name=name).save(path)
    return path


def _convert(name: str, base_filters: int) -> dict[str, Path]:
    """quant → cached .tflite of model ``name``; converts only when the Keras file changed."""
    source = _keras_source(name, base_filters)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    out = _cache_dir() / f"{name}-{digest}"
    paths = {q: out / f"{name}-{q}.tflite" for q in QUANT_MODES}
    if all(p.is_file() and p.with_suffix(".json").is_file() for p in paths.values()):
        return paths
    from convert.export import export_tflite

    calib = _cache_dir() / "calib"
    if not (calib / "labels.jsonl").is_file():
        write_dataset(calib, count=32, seed=2024)
    export_tflite(source, QUANT_MODES, out, calib=calib, name=name)
    return paths


def _times_ms(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(float(np.percentile(samples, 99)), 3),
    }


def _runs_for(model: Path, image: np.ndarray, budget_s: float, lo: int, hi: int) -> int:
    """As many runs as fit ``budget_s`` per measurement (the paper model is ~100x slower)."""
    seg = TFLiteSegmenter(TFLiteConfig(model=model, num_threads=2))
    one = statistics.median(_times_ms(lambda: seg.segment(image), 3, warmup=1)) / 1e3
    seg.close()
    return int(min(hi, max(lo, budget_s / max(one, 1e-6))))


def _bench_file(model: Path, image: np.ndarray, runs: int) -> dict[str, Any]:
    manifest = read_manifest(model.with_suffix(".json"))
    row: dict[str, Any] = {"size_bytes": model.stat().st_size, "runs": runs}
    for threads in THREADS:
        seg = TFLiteSegmenter(TFLiteConfig(model=model, num_threads=threads))
        row[f"wrapper_{threads}t"] = _stats(_times_ms(lambda s=seg: s.segment(image), runs))
        seg.close()
        interpreter = make_interpreter(model, threads)
        index = interpreter.get_input_details()[0]["index"]
        dtype = np.dtype(manifest.input.dtype)
        interpreter.set_tensor(index, image[None].astype(dtype))
        row[f"invoke_{threads}t"] = _stats(_times_ms(interpreter.invoke, runs))
    return row


def run(quick: bool = False, paper: bool | None = None) -> dict[str, Any]:
    """Convert (cached) and time every variant; returns the numbers as a nested dict.

    The paper-size U-Net (31 M parameters) takes about five minutes here, so it runs only with
    ``paper=True`` (``bench.run --long``) and never with ``quick``."""
    if paper is None:
        paper = bool(OPTIONS["long"])
    models = {"lite": 8} if quick or not paper else {"lite": 8, "paper": 64}
    image = to_model_input(generate(2025, 3).frame(), PreprocessConfig.model_validate({}))
    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "models": {}}
    for name, base_filters in models.items():
        paths = _convert(name, base_filters)
        runs = _runs_for(paths["float32"], image, 3.0 if quick else 8.0, 10, 50 if quick else 300)
        source = _keras_source(name, base_filters)
        result["models"][name] = {
            "source": "trained runs/lite" if source == LITE_RUN else "untrained",
            "base_filters": base_filters,
            "variants": {q: _bench_file(paths[q], image, runs) for q in QUANT_MODES},
        }
    return result


def _print(result: dict[str, Any]) -> None:
    head = f"{'model':<7}{'quant':<9}{'size':>9}{'runs':>6}"
    for threads in THREADS:
        head += f"{f'wrap {threads}t med/p99':>22}{f'invoke {threads}t med/p99':>24}"
    print(head)
    for name, model in result["models"].items():
        for quant, row in model["variants"].items():
            line = f"{name:<7}{quant:<9}{row['size_bytes'] / 1e6:>7.2f}MB{row['runs']:>6}"
            for threads in THREADS:
                w, i = row[f"wrapper_{threads}t"], row[f"invoke_{threads}t"]
                line += f"{w['median_ms']:>12.2f}/{w['p99_ms']:<9.2f}"
                line += f"{i['median_ms']:>14.2f}/{i['p99_ms']:<9.2f}"
            print(line)
    print(
        f"(ms; {result['cpu_count']} CPUs; sources: "
        + ", ".join(f"{n}={m['source']}" for n, m in result["models"].items())
        + ")"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="lite model only, fewer runs")
    parser.add_argument("--paper", action="store_true", help="also the paper-size U-Net (slow)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    numbers = run(quick=args.quick, paper=args.paper)
    _print(numbers)
    if args.json is not None:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n")
