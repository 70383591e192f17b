"""``--analysis KEY=VALUE``: any ``AnalysisConfig`` field set from the command line.

Values are read as JSON (``1.0``, ``null``, ``"mean"``), a bare word as a string
(``mirror_reference=max``); the config validates them like the device's ``[analysis]`` section.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from edge.core.analysis import AnalysisConfig
from edge.errors import ConfigError, validation_problems
from training.presets import parse_overrides

__all__ = ["add_analysis_argument", "analysis_config", "parse_setting"]


def parse_setting(text: str) -> tuple[str, Any]:
    """``"KEY=VALUE"`` -> ``(KEY, VALUE read as JSON, else the bare string)``."""
    try:
        ((key, value),) = parse_overrides([text], "--analysis", "local_excess_c=1.0").items()
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return key, value


def add_analysis_argument(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--analysis KEY=VALUE`` option (``args.analysis``)."""
    parser.add_argument(
        "--analysis",
        action="append",
        type=parse_setting,
        default=[],
        metavar="KEY=VALUE",
        help="an AnalysisConfig field, e.g. local_excess_c=1.0 (repeatable)",
    )


def analysis_config(
    parser: argparse.ArgumentParser, settings: Sequence[tuple[str, Any]], **base: Any
) -> AnalysisConfig:
    """``AnalysisConfig(**base)`` with ``settings`` over it; a bad key or value exits through
    ``parser.error`` naming it."""
    try:
        return AnalysisConfig(**{**base, **dict(settings)})
    except ValidationError as exc:
        parser.error(f"--analysis: {validation_problems(exc)}")
