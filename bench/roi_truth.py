"""The breast ROI (edge.core.roi) against the phantoms' exact ROI truth, per family and view.

``python -m bench.roi_truth [--count 60] [--seed 5] [--json PATH]``: recall (share of the true
breast pixels inside the ROI), precision, the share of frames whose view was recognised, and
the median time per frame. Seeds other than the one the band was chosen on (11).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import numpy as np

from edge.core.roi import find_roi
from edge.phantom import generate

CASES = (("a", "closeup", "lepton"), ("a", "wide", "dmr"), ("b", "closeup", "lepton"), ("b", "wide", "dmr"))  # fmt: skip


def measure(family: str, view: str, resolution: str, count: int, seed: int) -> dict[str, float]:
    recall, precision, view_ok, ms = [], [], [], []
    for i in range(count):
        p = generate(seed, i, family=family, view=view, resolution=resolution)  # type: ignore[arg-type]
        start = time.perf_counter()
        roi = find_roi(p.celsius)
        ms.append((time.perf_counter() - start) * 1e3)
        m, t = roi.mask > 0, p.breast > 0
        recall.append(float((m & t).sum() / max(t.sum(), 1)))
        precision.append(float((m & t).sum() / max(m.sum(), 1)))
        view_ok.append(roi.view == view)
    return {
        "recall_mean": float(np.mean(recall)),
        "recall_p10": float(np.percentile(recall, 10)),
        "precision_mean": float(np.mean(precision)),
        "view_recognised": float(np.mean(view_ok)),
        "ms_median": float(np.median(ms)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = {}
    print("| family | view | recall (mean / p10) | precision | view recognised | ms/frame |")
    print("|---|---|---:|---:|---:|---:|")
    for family, view, res in CASES:
        r = measure(family, view, res, args.count, args.seed)
        rows[f"{family}-{view}"] = r
        print(
            f"| {family} | {view} ({res}) | {r['recall_mean']:.3f} / {r['recall_p10']:.3f} | "
            f"{r['precision_mean']:.3f} | {r['view_recognised']:.2f} | {r['ms_median']:.2f} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
