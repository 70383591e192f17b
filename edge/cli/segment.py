"""``thermoseg-edge segment``: masks, overlays and region reports for frame files."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from edge import DISCLAIMER
from edge.cli._common import add_segmenter_options, build_segmenter, preprocess_for
from edge.cli._extras import write_extras
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from edge.errors import FrameError
from edge.io.overlay import render_overlay, write_png
from edge.io.readers import read_frame
from edge.segmenters import Segmenter

__all__ = ["register", "segment_file"]

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "segment",
        help="segment frame files: <stem>_mask.png, <stem>_overlay.png, results.jsonl",
        description="Segment abnormally warm regions in frame files (.npy °C, DMR-IR .txt, "
        "16-bit PNG/TIFF Y16, 8-bit pseudo-colour). Screening aid only, not a diagnosis.",
    )
    add_segmenter_options(p)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("files", nargs="+", type=Path, help="frame files")
    p.set_defaults(func=run)


def segment_file(
    path: Path, segmenter: Segmenter, cfg: PreprocessConfig, out: Path, analysis_cfg: AnalysisConfig
) -> dict[str, Any]:
    """Segment one file, write its mask and overlay PNGs, return its results line."""
    frame = read_frame(path)
    decision = screen_frame(frame, segmenter.segment, cfg, analysis_cfg)
    mask, result = decision.mask, decision.analysis
    write_png(out / f"{path.stem}_mask.png", mask * 255)
    write_png(out / f"{path.stem}_overlay.png", render_overlay(frame, mask, cfg))
    write_extras(segmenter, frame, cfg, out, path.stem)
    return {
        "file": str(path),
        "width": frame.shape[1],
        "height": frame.shape[0],
        "radiometric": frame.radiometric,
        **segmenter.describe(),
        **result.to_dict(),
    }


def run(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    analysis_cfg = AnalysisConfig()
    with build_segmenter(args) as segmenter, open(args.out / "results.jsonl", "w") as results:
        cfg = preprocess_for(segmenter, args)
        for path in args.files:
            try:
                line = segment_file(path, segmenter, cfg, args.out, analysis_cfg)
            except FrameError as exc:
                failures += 1
                print(f"thermoseg-edge segment: skipped: {exc}", file=sys.stderr)
                line = {"file": str(path), "error": str(exc)}
            results.write(json.dumps(line) + "\n")
            if "error" not in line:
                flag = "ABNORMAL" if line["abnormal"] else "normal"
                print(
                    f"{path.name}: {flag} (grade {line['grade']}, {len(line['regions'])} region(s))"
                )
    print(f"results: {args.out / 'results.jsonl'} — {DISCLAIMER}")
    return 1 if failures else 0
