"""``python -m training.ceiling``: the ΔT decision's own ceiling, with truth masks for a model.

A segmenter can only lose what the decision would have flagged. Here each frame's exact
ground-truth mask goes through the device's decision (:func:`edge.core.analysis.analyse`, the
frame's breast ROI from :func:`edge.core.roi.find_roi`, the default ``AnalysisConfig`` or
``--analysis KEY=VALUE`` settings over it), so
the sensitivity printed is the best any segmenter could reach with these rules on these frames,
and the reasons name why the rest is missed (e.g. a lesion whose mirrored site is as warm).
Normal frames have empty truth and are never flagged here, so no specificity is reported.

    python -m training.ceiling --data a-closeup=data/v2/test-a-closeup --data c-wide=data/test-c-wide
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge.core.analysis import AnalysisConfig, analyse
from edge.core.preprocess import PreprocessConfig
from edge.core.roi import find_roi
from edge.io.manifest import manifest_path, read_manifest
from edge.io.readers import read_frame, read_mask
from edge.segmenters.tflite import default_model_path
from training._analysis_args import add_analysis_argument, analysis_config
from training.data import discover
from training.suite import DataSet, parse_dataset

__all__ = ["decision_ceiling", "main"]

log = logging.getLogger(__name__)


def decision_ceiling(
    folder: Path, preprocess: PreprocessConfig, analysis: AnalysisConfig
) -> dict[str, Any]:
    """Sensitivity of the decision on the truth masks of ``folder``'s abnormal frames."""
    _, samples = discover(folder)
    flagged = abnormal = 0
    missed: Counter[str] = Counter()
    for sample in samples:
        truth = read_mask(sample.mask)
        if not truth.any():
            continue  # a normal subject: empty truth is never flagged
        abnormal += 1
        celsius = read_frame(sample.image).celsius()
        # The ROI the device finds for this frame (``prepare`` finds it the same way; the model
        # input it also builds is not needed without a model).
        roi = find_roi(celsius, preprocess.roi) if celsius is not None else None
        result = analyse(truth, celsius, analysis, roi=roi)
        if result.abnormal:
            flagged += 1
        else:
            missed["; ".join(sorted({r.reason for r in result.regions})) or "no region"] += 1
    return {
        "folder": str(folder),
        "abnormal_frames": abnormal,
        "flagged": flagged,
        "sensitivity": flagged / abnormal if abnormal else None,
        "missed_because": dict(missed.most_common()),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.ceiling",
        description="The ΔT decision on ground-truth masks: the best sensitivity any segmenter "
        "could reach with these rules. Synthetic data only; not a clinical figure.",
    )
    parser.add_argument(
        "--data", type=parse_dataset, action="append", required=True, metavar="NAME=DIR"
    )
    add_analysis_argument(parser)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: one line per data set, and optionally the JSON."""
    parser = build_parser()
    args = parser.parse_args(argv)
    analysis = analysis_config(parser, args.analysis)
    # The shipped model's preprocessing decides the ROI settings, as on the device.
    preprocess = read_manifest(manifest_path(default_model_path())).preprocess
    results = {}
    data: list[DataSet] = args.data
    for ds in data:
        row = decision_ceiling(ds.folder, preprocess, analysis)
        results[ds.name] = row
        sens = row["sensitivity"]
        text = "n/a" if sens is None else f"{sens:.3f}"
        print(f"{ds.name}: {row['flagged']}/{row['abnormal_frames']} abnormal frames flagged "
              f"with truth masks (sensitivity ceiling {text}); missed: {row['missed_because']}")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
