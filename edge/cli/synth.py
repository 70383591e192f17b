"""``thermoseg-edge synth``: write synthetic thermograms with exact ground truth."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "synth",
        help="write synthetic breast thermograms (°C .npy) with abnormal and breast masks",
        description="Write synthetic thermograms with exact ground truth: <subject>.npy (°C), "
        "masks/<subject>.png, breast/<subject>.png and labels.jsonl.",
    )
    p.add_argument("--count", type=int, default=200, help="number of subjects (one frame each)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument(
        "--resolution",
        choices=("lepton", "dmr"),
        default="lepton",
        help="lepton: 160x120, dmr: 640x480 (DMR-IR)",
    )
    p.add_argument(
        "--view",
        choices=("closeup", "wide"),
        default="closeup",
        help="closeup: Lepton chest close-up; wide: DMR-IR clinical framing (neck to abdomen)",
    )
    p.add_argument("--family", default="a", help="phantom family (independent generators)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.phantom import write_dataset

    if args.count < 1:
        raise SystemExit("thermoseg-edge synth: --count must be at least 1")
    labels = write_dataset(
        args.out,
        args.count,
        args.seed,
        resolution=args.resolution,
        view=args.view,
        family=args.family,
    )
    stages = Counter(label.stage for label in labels)
    mix = ", ".join(
        f"{stage} {stages[stage]}" for stage in ("normal", "initial", "middle", "advanced")
    )
    print(
        f"wrote {len(labels)} synthetic thermograms (family {args.family}, {args.view}) "
        f"to {args.out} ({mix})"
    )
    return 0
