"""``thermoseg-train``: train the U-Nets and assess them against the codebook segmenter.

TensorFlow is imported inside the sub-commands, so ``--help`` is fast and works without it.
Exit codes: 0 success, 1 a user error (bad folder, missing extra: the message names it), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from edge import DISCLAIMER
from edge.cli.main import run_command
from edge.core.preprocess import PreprocessConfig
from edge.errors import ConfigError, MissingExtraError, validation_problems
from training.augment import AugmentConfig
from training.distribute import PRECISIONS, STRATEGIES
from training.presets import PRESETS, Preset, parse_overrides, resolve_preset

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# Every preset field but its name gets a --FIELD option (the preset model is the one list).
_PRESET_FIELDS = tuple(name for name in Preset.model_fields if name != "name")


def _require_tensorflow() -> None:
    try:
        import tensorflow  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("tensorflow", "train", "training and assessing U-Nets") from exc


def _validated(option: str, model: type[M], pairs: list[str]) -> M:
    """``--<option> KEY=VALUE`` pairs as a validated ``model``."""
    try:
        return model.model_validate(parse_overrides(pairs))
    except ValidationError as exc:
        raise ConfigError(f"--{option}: {validation_problems(exc)}") from None


def _preset_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--FIELD VALUE`` options first, then every ``--set FIELD=VALUE`` (later ones win)."""
    pairs = [
        f"{field}={getattr(args, f'preset_{field}')}"
        for field in _PRESET_FIELDS
        if getattr(args, f"preset_{field}") is not None
    ]
    return parse_overrides([*pairs, *args.overrides])


def _fit(args: argparse.Namespace) -> int:
    from training.fit import FitConfig

    cfg = FitConfig(
        preset=args.preset,
        overrides=_preset_overrides(args),
        out=args.out,
        data=args.data,
        synthetic=args.synthetic,
        seed=args.seed,
        resume=args.resume,
        separator=args.separator,
        threads=args.threads,
        strategy=args.strategy,
        precision=args.precision,
        preprocess=_validated("preprocess", PreprocessConfig, args.preprocess),
        augment=_validated("augment", AugmentConfig, args.augment),
    )
    resolve_preset(cfg.preset, cfg.overrides)  # a bad preset or --set fails before TF loads
    _require_tensorflow()
    from training.fit import fit

    summary = fit(cfg)
    print(
        f"{args.out}: best val Dice {summary['best_val_dice']:.4f} at epoch {summary['best_epoch']}"
        f" ({summary['epochs_run']} epochs, {summary['train_seconds']:.0f} s); model "
        f"{args.out / 'model.keras'}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    _require_tensorflow()
    from training.assess import assess

    result = assess(
        args.runs,
        args.data,
        codebook=args.codebook,
        out=args.out,
        limit=args.limit,
        separator=args.separator,
    )
    print(result.markdown)
    print(f"wrote {result.markdown_path}, {result.json_path} and {result.figure_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thermoseg-train",
        description="Train and assess the U-Nets that segment abnormally warm regions in breast "
        "thermograms. " + DISCLAIMER,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    f = sub.add_parser(
        "fit", help="train a U-Net preset", description="Train a U-Net. " + DISCLAIMER
    )
    f.add_argument("--preset", default="lite", help=f"one of {', '.join(PRESETS)}")
    src = f.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="synthetic, images/+masks/ or DMR-IR folder")
    src.add_argument("--synthetic", type=int, metavar="N", help="generate N phantom frames")
    f.add_argument("--out", type=Path, required=True, help="run folder (runs/NAME)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    f.add_argument("--separator", help="file stem separator before the subject id")
    f.add_argument("--threads", type=int, default=0, help="TF threads (0: all cores)")
    f.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="default: one device; mirrored: all local GPUs (else logical CPUs); "
        "multi-worker: several machines, each with its TF_CONFIG",
    )
    f.add_argument("--precision", choices=PRECISIONS, default="float32", help="Keras dtype policy")
    f.add_argument(
        "--preprocess",
        dest="preprocess",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="preprocessing field (edge.core.preprocess.PreprocessConfig), e.g. crop=roi, "
        "span=body, encoding=delta (value parsed as JSON); recorded in config.json and manifests",
    )
    f.add_argument(
        "--augment",
        dest="augment",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="augmentation field (training.augment.AugmentConfig), e.g. texture_c=0.3 or "
        "scale=0.12 (value parsed as JSON); recorded in config.json",
    )
    f.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any preset field, e.g. --set dropout=0.3 (value parsed as JSON)",
    )
    presets = f.add_argument_group("preset fields (each also settable with --set FIELD=VALUE)")
    for field in _PRESET_FIELDS:
        info = Preset.model_fields[field]
        presets.add_argument(
            f"--{field.replace('_', '-')}",
            dest=f"preset_{field}",
            metavar="VALUE",
            help=info.description,
        )
    f.set_defaults(func=_fit)

    e = sub.add_parser(
        "evaluate",
        help="compare runs and the codebook on held-out frames",
        description="One table of Dice, IoU, precision, recall, image-level sensitivity/"
        "specificity, latency and size for each method, plus a figure grid. " + DISCLAIMER,
    )
    e.add_argument("runs", nargs="*", type=Path, help="run folders holding model.keras")
    e.add_argument("--codebook", action="store_true", help="include the codebook segmenter")
    e.add_argument("--data", type=Path, required=True, help="held-out dataset folder")
    e.add_argument(
        "--out",
        type=Path,
        default=Path("runs/assessment.md"),
        help="Markdown path; .json and .png are written beside it",
    )
    e.add_argument("--limit", type=int, help="use only the first N frames")
    e.add_argument("--separator", help="file stem separator before the subject id")
    e.set_defaults(func=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command("thermoseg-train", build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
