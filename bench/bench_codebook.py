"""Frames per second of the codebook segmenter on one core, with a per-step breakdown.

Inputs are synthetic phantoms (:mod:`edge.phantom`, Lepton 160×120) through the default
preprocessing (jet over 28-38 °C, 128×128). Normal and abnormal frames are timed apart (a frame
without red seeds stops early), for the default (``tuned``) config, for one that runs every
tuned step (``grow_tolerance=24``) and for the ``paper`` variant (section 6.1 step by step). Times are the median CPU time of this thread (``time.thread_time``), which a busy shared
machine inflates far less than wall time; wall time is printed beside it.

    python -m bench.bench_codebook            # full run
    python -m bench.bench_codebook --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from edge.core.preprocess import PreprocessConfig, to_model_input
from edge.phantom import generate
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.codebook.lbg import colour_histogram, initial_codebook
from edge.segmenters.codebook.regions import body_mask, edge_flow

__all__ = ["run"]


def _median_us(
    fn: Callable[[], object],
    repeats: int,
    number: int,
    clock: Callable[[], float] = time.thread_time,
) -> float:
    """Median over ``repeats`` of the mean time of ``number`` calls, in microseconds.

    The default clock is this thread's CPU time: on a shared machine, wall time also counts
    the time other processes held the core.
    """
    samples = []
    for _ in range(repeats):
        start = clock()
        for _ in range(number):
            fn()
        samples.append((clock() - start) / number * 1e6)
    return statistics.median(samples)


def _inputs(count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    cfg = PreprocessConfig()
    normal: list[np.ndarray] = []
    abnormal: list[np.ndarray] = []
    index = 0
    while len(normal) < count or len(abnormal) < count:
        phantom = generate(7, index)
        rgb = to_model_input(phantom.frame(), cfg)
        (abnormal if phantom.abnormal.any() else normal).append(rgb)
        index += 1
    return normal[:count], abnormal[:count]


def _per_frame_us(
    seg: CodebookSegmenter,
    images: list[np.ndarray],
    repeats: int,
    clock: Callable[[], float] = time.thread_time,
) -> float:
    def once() -> None:
        for image in images:
            seg.segment(image)

    return _median_us(once, repeats, 1, clock) / len(images)


def run(quick: bool = False) -> dict[str, Any]:
    """Time the segmenter and its steps; returns microseconds per frame and frames/s."""
    cv2.setNumThreads(1)
    count, repeats = (5, 5) if quick else (20, 15)
    normal, abnormal = _inputs(count)
    seg = CodebookSegmenter(CodebookConfig())
    cfg = seg.config
    result: dict[str, Any] = {"frames_per_kind": count, "repeats": repeats, "rows": {}}
    # The default runs the codebook only where a knob needs it; grow_tolerance=24 runs every
    # tuned step on every frame with red seeds; the paper variant runs all of section 6.1.
    variants = {
        "default": seg,
        "all steps (grow_tolerance=24)": CodebookSegmenter(CodebookConfig(grow_tolerance=24)),
        "paper variant": CodebookSegmenter(CodebookConfig(variant="paper")),
    }
    for variant, segmenter in variants.items():
        for name, images in (
            ("normal", normal),
            ("abnormal", abnormal),
            ("mixed", normal + abnormal),
        ):
            cpu = _per_frame_us(segmenter, images, repeats)
            wall = _per_frame_us(segmenter, images, repeats, time.perf_counter)
            result["rows"][f"{variant}, {name}"] = {
                "cpu_us": round(cpu, 1),
                "fps_cpu": round(1e6 / cpu, 1),
                "wall_us": round(wall, 1),
                "fps_wall": round(1e6 / wall, 1),
            }

    # Where an abnormal frame's time goes, step by step (each timed alone on the same inputs).
    img = abnormal[0]
    hist = colour_histogram(img, cfg.histogram_bits)
    init = initial_codebook(img, cfg.block_size, cfg.initial_codes)
    number = 20 if quick else 100
    steps: dict[str, Callable[[], object]] = {
        "red seeds (inRange)": lambda: cfg.red.contains(img),
        "body mask": lambda: body_mask(img, cfg.body_threshold),
        "blocks+seeds+initial codebook": lambda: initial_codebook(img, cfg.block_size),
        "colour histogram": lambda: colour_histogram(img, cfg.histogram_bits),
        "hierarchical LBG": lambda: seg.reduce(hist, init),
        "edge flow (full frame)": lambda: edge_flow(img, cfg.edge_low, cfg.edge_high),
        "segment, default": lambda: seg.segment(img),
        "segment, grow_tolerance=24": lambda: variants["all steps (grow_tolerance=24)"].segment(
            img
        ),
        "segment, paper variant": lambda: variants["paper variant"].segment(img),
    }
    result["steps_us"] = {k: round(_median_us(f, repeats, number), 1) for k, f in steps.items()}
    result["histogram_bins"] = len(hist.counts)
    return result


def _print(result: dict[str, Any]) -> None:
    print("| variant, frames                         | CPU µs/frame | frames/s (CPU) | wall µs |")
    print("|-----------------------------------------|-------------:|---------------:|--------:|")
    for name, row in result["rows"].items():
        print(f"| {name:<39} | {row['cpu_us']:>12} | {row['fps_cpu']:>14} | {row['wall_us']:>7} |")
    print()
    print("| step (one abnormal frame, CPU)  |    µs |")
    print("|---------------------------------|------:|")
    for step, us in result["steps_us"].items():
        print(f"| {step:<31} | {us:>5} |")
    print(f"\nhistogram bins of that frame: {result['histogram_bins']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    _print(run(quick=parser.parse_args().quick))
