"""Image-level evaluation for data labelled per subject (healthy / sick), not per pixel.

Real thermography databases label subjects, not lesion pixels, and may not be redistributed:
with a CSV of labels a clinic measures the screening decision on its own consented data. Each
frame goes through the device's one path (:func:`edge.core.screening.screen_frame`); the ROC
sweeps a factor on every ΔT threshold (:attr:`edge.core.analysis.Analysis.score`).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edge.cli._batch import describe_failure, output_error, prepare_out, printable
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.core.roc import roc_curve
from edge.core.screening import SegmentFn, screen_frame
from edge.errors import DatasetError
from edge.io.plots import write_roc_png
from edge.io.readers import read_frame

__all__ = ["LABEL_WORDS", "evaluate_labels", "read_labels"]

log = logging.getLogger(__name__)

LABEL_WORDS: dict[str, bool] = {
    "healthy": False,
    "normal": False,
    "0": False,
    "sick": True,
    "abnormal": True,
    "1": True,
}


def read_labels(csv_path: Path, data: Path) -> Iterator[tuple[Path, bool]]:
    """(frame path, sick?) rows of a ``file,label`` CSV; files are relative to ``data``."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{csv_path}: cannot read the labels CSV: {exc}") from None
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise DatasetError(f"{csv_path}: expected a header 'file,label' and at least one row")
    for n, row in enumerate(rows, start=2):
        word = (row.get("label") or "").strip().lower()
        if word not in LABEL_WORDS:
            raise DatasetError(
                f"{csv_path}: line {n}: label {row.get('label')!r}; expected one of "
                + ", ".join(LABEL_WORDS)
            )
        yield data / (row.get("file") or "").strip(), LABEL_WORDS[word]


def evaluate_labels(
    csv_path: Path,
    data: Path,
    segment: SegmentFn,
    preprocess: PreprocessConfig,
    analysis: AnalysisConfig,
    out: Path,
    name: str,
) -> dict[str, Any]:
    """Screen every labelled frame; write ``image_level.json``, ``roc.png``; return the summary.

    A file that cannot be read or screened is reported by name and left out of the figures."""
    scores: list[float] = []
    labels: list[bool] = []
    flags: list[bool] = []
    skipped: list[dict[str, str]] = []
    for path, sick in read_labels(csv_path, data):
        try:
            decision = screen_frame(read_frame(path), segment, preprocess, analysis)
        except Exception as exc:  # one bad file never stops the evaluation; named and listed
            message = describe_failure(path, exc)
            log.warning("evaluate: skipped %s", printable(message))
            skipped.append({"file": str(path), "error": message})
            continue
        scores.append(decision.analysis.score)
        labels.append(sick)
        flags.append(decision.abnormal)
    if not labels:
        raise DatasetError(f"{csv_path}: no labelled frame could be screened")
    tp = sum(f and y for f, y in zip(flags, labels, strict=True))
    tn = sum(not f and not y for f, y in zip(flags, labels, strict=True))
    pos, neg = sum(labels), len(labels) - sum(labels)
    sens = tp / pos if pos else None
    spec = tn / neg if neg else None
    curve = roc_curve(scores, labels)
    summary: dict[str, Any] = {
        "method": name,
        "labels": str(csv_path),
        "frames": len(labels),
        "sick": pos,
        "healthy": neg,
        "sensitivity": sens,
        "specificity": spec,
        "roc": curve.to_dict(),
        "skipped": skipped,
    }
    prepare_out(out)
    try:
        (out / "image_level.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    except OSError as exc:
        raise output_error(out / "image_level.json", exc) from None
    point = None if sens is None or spec is None else (1.0 - spec, sens)
    write_roc_png(out / "roc.png", curve, title=name, operating_point=point)
    return summary
