"""Options shared by the sub-commands that run a segmenter on files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.core.preprocess import PreprocessConfig
from edge.errors import ConfigError, validation_problems
from edge.segmenters import SEGMENTERS, Segmenter, create_segmenter

__all__ = ["add_segmenter_options", "build_segmenter", "preprocess_for"]


def add_segmenter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--segmenter", choices=sorted(SEGMENTERS), default="codebook", help="segmenter backend"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="tflite model (default: the shipped lite model)",
    )
    parser.add_argument(
        "--threads",
        type=_threads,
        default="auto",
        help="interpreter threads (tflite): a number or 'auto' (the CPUs less one; default)",
    )
    parser.add_argument("--palette", default=None, help="palette (default: the model's, else jet)")
    parser.add_argument(
        "--t-min", type=float, default=None, help="°C at the palette's first colour"
    )
    parser.add_argument("--t-max", type=float, default=None, help="°C at the palette's last colour")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="segmenter config override, e.g. --set grow_tolerance=16 (value parsed as JSON)",
    )


def _threads(text: str) -> int | str:
    """--threads: a positive integer or 'auto' (checked again by the segmenter's config)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a number of threads or 'auto'"
        ) from None


def _overrides(pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE")
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return values


def build_segmenter(args: argparse.Namespace) -> Segmenter:
    """The segmenter the command line names, with ``--set`` overrides validated by its config."""
    fields: dict[str, Any] = _overrides(getattr(args, "overrides", []))
    if args.segmenter == "tflite":
        fields = {"model": args.model, "num_threads": args.threads, **fields}
    config_class = SEGMENTERS[args.segmenter].config_class
    try:
        config = config_class(**fields)
    except ValidationError as exc:
        raise ConfigError(
            f"--set for the {args.segmenter} segmenter: {validation_problems(exc)}"
        ) from None
    return create_segmenter(config)  # type: ignore[arg-type]


def preprocess_for(segmenter: Segmenter, args: argparse.Namespace) -> PreprocessConfig:
    """The model's own preprocessing when it has one; command-line overrides on top."""
    base = segmenter.expected_preprocess() or PreprocessConfig()
    overrides = {
        key: value
        for key, value in (("palette", args.palette), ("t_min", args.t_min), ("t_max", args.t_max))
        if value is not None
    }
    return PreprocessConfig(**{**base.model_dump(), **overrides}) if overrides else base
