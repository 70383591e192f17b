"""Options shared by the sub-commands that run a segmenter on files."""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.preprocess import PreprocessConfig
from edge.segmenters import SEGMENTERS, CodebookConfig, Segmenter, TFLiteConfig, create_segmenter

__all__ = ["add_segmenter_options", "build_segmenter", "preprocess_for"]


def add_segmenter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--segmenter", choices=sorted(SEGMENTERS), default="codebook", help="segmenter backend"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="tflite model (default: the shipped lite int8 model)",
    )
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads (tflite)")
    parser.add_argument("--palette", default=None, help="palette (default: the model's, else jet)")
    parser.add_argument(
        "--t-min", type=float, default=None, help="°C at the palette's first colour"
    )
    parser.add_argument("--t-max", type=float, default=None, help="°C at the palette's last colour")


def build_segmenter(args: argparse.Namespace) -> Segmenter:
    if args.segmenter == "tflite":
        return create_segmenter(TFLiteConfig(model=args.model, num_threads=args.threads))
    return create_segmenter(CodebookConfig())


def preprocess_for(segmenter: Segmenter, args: argparse.Namespace) -> PreprocessConfig:
    """The model's own preprocessing when it has one; command-line overrides on top."""
    base = segmenter.expected_preprocess() or PreprocessConfig()
    overrides = {
        key: value
        for key, value in (("palette", args.palette), ("t_min", args.t_min), ("t_max", args.t_max))
        if value is not None
    }
    return PreprocessConfig(**{**base.model_dump(), **overrides}) if overrides else base
