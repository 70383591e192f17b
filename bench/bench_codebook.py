"""Frames per second of the codebook segmenter on one core, with a per-step breakdown.

Inputs are synthetic phantoms (:mod:`edge.phantom`, Lepton 160×120) through the default
preprocessing (jet over 28-38 °C, 128×128). Normal and abnormal frames are timed apart: a frame
without red seeds stops after step 6, so the two costs differ by an order of magnitude.

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

from edge.phantom import generate
from edge.preprocess import PreprocessConfig, to_model_input
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.codebook_lbg import colour_histogram, initial_codebook, lbg
from edge.segmenters.codebook_regions import body_mask, edge_flow

__all__ = ["run"]


def _median_us(fn: Callable[[], object], repeats: int, number: int) -> float:
    """Median over ``repeats`` of the mean time of ``number`` calls, in microseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
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


def _per_frame_us(seg: CodebookSegmenter, images: list[np.ndarray], repeats: int) -> float:
    def once() -> None:
        for image in images:
            seg.segment(image)

    return _median_us(once, repeats, 1) / len(images)


def run(quick: bool = False) -> dict[str, Any]:
    """Time the segmenter and its steps; returns microseconds per frame and frames/s."""
    cv2.setNumThreads(1)
    count, repeats = (5, 5) if quick else (20, 15)
    normal, abnormal = _inputs(count)
    seg = CodebookSegmenter(CodebookConfig())
    cfg = seg.config
    result: dict[str, Any] = {"frames_per_kind": count, "repeats": repeats}
    for name, images in (("normal", normal), ("abnormal", abnormal)):
        us = _per_frame_us(seg, images, repeats)
        result[f"{name}_us"] = round(us, 1)
        result[f"{name}_fps"] = round(1e6 / us, 1)
    mixed = [*normal, *abnormal]
    us = _per_frame_us(seg, mixed, repeats)
    result["mixed_us"], result["mixed_fps"] = round(us, 1), round(1e6 / us, 1)

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
        "hierarchical LBG": lambda: lbg(hist.centres, init, weights=hist.counts),
        "edge flow (full frame)": lambda: edge_flow(img, cfg.edge_low, cfg.edge_high),
        "segment (whole)": lambda: seg.segment(img),
    }
    result["steps_us"] = {k: round(_median_us(f, repeats, number), 1) for k, f in steps.items()}
    result["histogram_bins"] = len(hist.counts)
    return result


def _print(result: dict[str, Any]) -> None:
    print("| frames   | µs/frame | frames/s |")
    print("|----------|---------:|---------:|")
    for name in ("normal", "abnormal", "mixed"):
        print(f"| {name:<8} | {result[f'{name}_us']:>8} | {result[f'{name}_fps']:>8} |")
    print()
    print("| step (abnormal frame)          |    µs |")
    print("|--------------------------------|------:|")
    for step, us in result["steps_us"].items():
        print(f"| {step:<30} | {us:>5} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    _print(run(quick=parser.parse_args().quick))
