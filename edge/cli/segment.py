"""``thermoseg-edge segment``: masks, overlays and region reports for frame files."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from edge import DISCLAIMER
from edge.cli._batch import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    describe_failure,
    open_results,
    output_error,
    output_stems,
    prepare_out,
    printable,
)
from edge.cli._common import add_segmenter_options, build_segmenter, preprocess_for
from edge.cli._extras import write_extras
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from edge.errors import OutputError
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
        epilog="Outputs mirror the inputs' folders below --out (x/a.npy -> OUT/x/a_mask.png); "
        "inputs sharing a folder and a stem keep their suffix (x/a.txt -> OUT/x/a.txt_mask.png). "
        'A file that cannot be read or segmented is reported on stderr and as an "error" line '
        "in results.jsonl, and the rest are processed. Exit status: 0 every file segmented, "
        "3 some files skipped, 1 a fatal error (model, config, unwritable --out), 2 usage.",
    )
    add_segmenter_options(p)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("files", nargs="+", type=Path, help="frame files")
    p.set_defaults(func=run)


def segment_file(
    path: Path,
    segmenter: Segmenter,
    cfg: PreprocessConfig,
    out: Path,
    analysis_cfg: AnalysisConfig,
    stem: Path | None = None,
) -> dict[str, Any]:
    """Segment one file, write its mask and overlay PNGs, return its results line.

    The outputs are ``out / f"{stem}_mask.png"`` and ``..._overlay.png`` (``stem`` defaults to
    the file's stem); :class:`~edge.errors.OutputError` when they cannot be written."""
    stem = Path(path.stem) if stem is None else stem
    frame = read_frame(path)
    decision = screen_frame(frame, segmenter.segment, cfg, analysis_cfg)
    mask, result = decision.mask, decision.analysis
    outputs = {
        "mask": str(write_png(out / f"{stem}_mask.png", mask * 255)),
        "overlay": str(write_png(out / f"{stem}_overlay.png", render_overlay(frame, mask, cfg))),
    }
    clusters = write_extras(segmenter, frame, cfg, out / stem.parent, stem.name)
    if clusters is not None:
        outputs["clusters"] = str(clusters)
    return {
        "file": str(path),
        "status": "ok",
        "outputs": outputs,
        "width": frame.shape[1],
        "height": frame.shape[0],
        "radiometric": frame.radiometric,
        **segmenter.describe(),
        **result.to_dict(),
    }


def run(args: argparse.Namespace) -> int:
    prepare_out(args.out)
    failures = 0
    analysis_cfg = AnalysisConfig()
    stems = output_stems(args.files)
    with build_segmenter(args) as segmenter, open_results(args.out) as results:
        cfg = preprocess_for(segmenter, args)
        for path, stem in zip(args.files, stems, strict=True):
            try:
                line = segment_file(path, segmenter, cfg, args.out, analysis_cfg, stem)
            except OutputError:
                raise  # nothing more can be written: stop with that one clear message
            except Exception as exc:  # one bad file never stops the batch; named below
                failures += 1
                message = describe_failure(path, exc)
                log.debug("segment: %s", message, exc_info=True)
                print(f"thermoseg-edge segment: skipped: {printable(message)}", file=sys.stderr)
                line = {"file": str(path), "status": "error", "error": message}
            try:
                results.write(json.dumps(line) + "\n")
                results.flush()
            except OSError as exc:
                raise output_error(args.out / "results.jsonl", exc) from None
            if line["status"] == "ok":
                flag = "ABNORMAL" if line["abnormal"] else "normal"
                print(
                    f"{printable(path.name)}: {flag} (grade {line['grade']}, "
                    f"{len(line['regions'])} region(s))"
                )
    print(f"results: {printable(args.out / 'results.jsonl')} — {DISCLAIMER}")
    if failures:
        print(f"{failures} of {len(args.files)} file(s) skipped", file=sys.stderr)
    return EXIT_SOME_FAILED if failures else EXIT_OK
