"""``thermoseg-edge evaluate``: score a segmenter against ground-truth masks.

A dataset folder holds frame files and ``masks/<stem>.png`` beside them (the layout
``thermoseg-edge synth`` writes; ``labels.jsonl`` is used for the file list when present).
A frame that cannot be read or scored is reported by name and left out (exit status 3).
Masks are compared at the input's own resolution; a frame is abnormal when its ground-truth mask
is non-empty, and the segmenter calls it abnormal when region analysis does.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from edge.cli._batch import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    describe_failure,
    output_error,
    prepare_out,
    printable,
)
from edge.cli._common import add_segmenter_options, build_segmenter, preprocess_for
from edge.cli._image_level import evaluate_labels
from edge.core.analysis import AnalysisConfig
from edge.core.metrics import Evaluation, format_markdown
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from edge.errors import DatasetError
from edge.io.readers import list_frame_files, read_frame, read_mask
from edge.segmenters import Segmenter

__all__ = ["iter_pairs", "register"]

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "evaluate",
        help="Dice, IoU, precision/recall, sensitivity/specificity and frames/s on a labelled folder",
    )
    add_segmenter_options(p)
    p.add_argument("--out", type=Path, default=None, help="folder for evaluation.{json,md}")
    p.add_argument(
        "--labels",
        type=Path,
        default=None,
        help="CSV 'file,label' (healthy/sick) for data without masks: image-level sensitivity, "
        "specificity and ROC (image_level.json, roc.png); files relative to DATA",
    )
    p.add_argument("data", type=Path, help="folder of frames with masks/<stem>.png")
    p.set_defaults(func=run)


def iter_pairs(folder: Path) -> Iterator[tuple[Path, Path]]:
    """(frame, mask) paths of a labelled folder, in a stable order."""
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    labels = folder / "labels.jsonl"
    if labels.exists():
        frames = []
        with open(labels, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    frames.append(folder / str(json.loads(line)["file"]))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise DatasetError(
                        f'{labels}: line {n}: {exc!r}; expected a JSON object with a "file"'
                    ) from None
    else:
        frames = list_frame_files(folder)
    if not frames:
        raise DatasetError(f"{folder}: no frame files found")
    for frame in frames:
        mask = folder / "masks" / f"{frame.stem}.png"
        if not mask.exists():
            raise DatasetError(f"{frame}: no ground-truth mask at {mask}")
        yield frame, mask


def run(args: argparse.Namespace) -> int:
    out: Path = args.out or Path("out") / f"evaluate-{args.segmenter}"
    if args.labels is not None:
        return _run_image_level(args, out)
    evaluation = Evaluation()
    analysis_cfg = AnalysisConfig()
    skipped: list[dict[str, str]] = []
    with build_segmenter(args) as segmenter:
        cfg = preprocess_for(segmenter, args)
        for frame_path, mask_path in iter_pairs(args.data):
            try:
                _score_pair(evaluation, segmenter, cfg, analysis_cfg, frame_path, mask_path)
            except Exception as exc:  # one bad file never stops the evaluation; named below
                message = describe_failure(frame_path, exc)
                log.debug("evaluate: %s", message, exc_info=True)
                print(f"thermoseg-edge evaluate: skipped: {printable(message)}", file=sys.stderr)
                skipped.append({"file": str(frame_path), "error": message})
        name = segmenter.describe().get("model") or args.segmenter
    if evaluation.frames == 0:
        raise DatasetError(f"{args.data}: no frame could be evaluated ({len(skipped)} skipped)")
    summary = evaluation.summary()
    table = format_markdown([(str(name), summary)])
    prepare_out(out)
    try:
        (out / "evaluation.json").write_text(
            json.dumps(
                {"method": name, "data": str(args.data), **summary, "skipped": skipped}, indent=2
            )
        )
        (out / "evaluation.md").write_text(table + "\n")
    except OSError as exc:
        raise output_error(out, exc) from None
    print(table)
    print(f"written: {printable(out / 'evaluation.json')}, {printable(out / 'evaluation.md')}")
    if skipped:
        print(f"{len(skipped)} file(s) skipped", file=sys.stderr)
    return EXIT_SOME_FAILED if skipped else EXIT_OK


def _score_pair(
    evaluation: Evaluation,
    segmenter: Segmenter,
    cfg: PreprocessConfig,
    analysis_cfg: AnalysisConfig,
    frame_path: Path,
    mask_path: Path,
) -> None:
    frame = read_frame(frame_path)
    truth = read_mask(mask_path)
    if truth.shape != frame.shape:
        raise DatasetError(f"{mask_path}: mask {truth.shape} does not match frame {frame.shape}")
    decision = screen_frame(frame, segmenter.segment, cfg, analysis_cfg)
    evaluation.add_decision(decision, truth)


def _run_image_level(args: argparse.Namespace, out: Path) -> int:
    with build_segmenter(args) as segmenter:
        cfg = preprocess_for(segmenter, args)
        name = str(segmenter.describe().get("model") or args.segmenter)
        summary = evaluate_labels(
            args.labels, args.data, segmenter.segment, cfg, AnalysisConfig(), out, name
        )
    sens, spec = summary["sensitivity"], summary["specificity"]
    print(
        f"{name}: {summary['frames']} frames ({summary['sick']} sick, {summary['healthy']} "
        f"healthy): sensitivity {_pct(sens)}, specificity {_pct(spec)}, "
        f"ROC AUC {summary['roc']['auc']:.3f}; {len(summary['skipped'])} skipped"
    )
    print(f"written: {printable(out / 'image_level.json')}, {printable(out / 'roc.png')}")
    return EXIT_SOME_FAILED if summary["skipped"] else EXIT_OK


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
