"""Phantom family "b" against the real DMR-IR aggregate facts (docs: real-thermogram-facts.md).

    python -m bench.phantom_facts_b --view wide --count 60

Computes each figure of the facts table on ``count`` family-b subjects (noisy ``celsius``, as a
camera would give them) the way the facts were measured: body = Otsu threshold on the frame's
own temperature range; p10 / median / p90 over subjects. Texture is the std of
``T - GaussianBlur(T, sigma=8 px)`` over the body eroded by 16 px (so the silhouette step does
not count). Left/right figures split at the frame's centre column; the lower-chest figure
excludes a midline strip of 8 % of the width around the body's centre column in that band.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom.family_b import generate_b

__all__ = ["REAL", "frame_facts", "main", "run"]

# figure: (p10, median, p90) from real-thermogram-facts.md (162 DMR-IR matrices).
REAL: dict[str, tuple[float, float, float]] = {
    "background median, C": (21.0, 22.5, 24.7),
    "body median, C": (29.5, 31.3, 33.0),
    "hottest 1% above body median, C": (2.2, 3.0, 3.9),
    "coldest 1% below body median, C": (-4.1, -3.1, -2.4),
    "body share of the frame": (0.62, 0.74, 0.83),
    "breast band (55-85% height) - body median, C": (-1.0, -0.2, 0.5),
    "top quarter - body median, C": (-0.5, 0.0, 0.5),
    "|left half - right half| of the body, C": (0.04, 0.20, 0.53),
    "texture std (T - blur s=8), C": (0.33, 0.43, 0.57),
    "healthy: |L - R| lower chest band, C": (0.03, 0.32, 0.75),
}


def _band_median(
    t: npt.NDArray[np.float32], body: npt.NDArray[np.bool_], lo: float, hi: float
) -> float:
    h = t.shape[0]
    band = np.zeros_like(body)
    band[int(lo * h) : int(hi * h)] = True
    values = t[band & body]
    return float(np.median(values)) if values.size else float("nan")


def frame_facts(t: npt.NDArray[np.float32], healthy: bool) -> dict[str, float]:
    """The facts-table figures of one °C frame."""
    h, w = t.shape
    scaled = ((t - t.min()) / max(float(np.ptp(t)), 1e-6) * 255).astype(np.uint8)
    _, otsu = cv2.threshold(scaled, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    body = otsu.astype(bool)
    median = float(np.median(t[body]))
    facts = {
        "background median, C": float(np.median(t[~body])) if (~body).any() else float("nan"),
        "body median, C": median,
        "hottest 1% above body median, C": float(np.quantile(t[body], 0.99)) - median,
        "coldest 1% below body median, C": float(np.quantile(t[body], 0.01)) - median,
        "body share of the frame": float(body.mean()),
        "breast band (55-85% height) - body median, C": _band_median(t, body, 0.55, 0.85) - median,
        "top quarter - body median, C": _band_median(t, body, 0.0, 0.25) - median,
    }
    left = body.copy()
    left[:, w // 2 :] = False
    right = body & ~left
    facts["|left half - right half| of the body, C"] = abs(
        float(t[left].mean()) - float(t[right].mean())
    )
    inner = cv2.erode(body.astype(np.uint8), np.ones((33, 33), np.uint8)).astype(bool)
    high = t - cv2.GaussianBlur(t, (0, 0), 8.0)
    facts["texture std (T - blur s=8), C"] = float(high[inner].std()) if inner.any() else np.nan
    if healthy:
        band = np.zeros_like(body)
        band[int(0.5 * h) : int(0.88 * h)] = True
        band &= body
        cols = np.nonzero(band)[1]
        centre = float(cols.mean())
        xx = np.arange(w)[None, :]
        strip = np.abs(xx - centre) <= 0.04 * w
        lc, rc = band & (xx < centre) & ~strip, band & (xx > centre) & ~strip
        facts["healthy: |L - R| lower chest band, C"] = abs(
            float(t[lc].mean()) - float(t[rc].mean())
        )
    return facts


def run(view: str, count: int, seed: int, resolution: str) -> dict[str, Any]:
    """Figures for ``count`` subjects: p10 / median / p90 per figure, beside the real ones."""
    per: dict[str, list[float]] = {name: [] for name in REAL}
    started = time.perf_counter()
    for index in range(count):
        phantom = generate_b(seed, index, view=view, resolution=resolution)  # type: ignore[arg-type]
        facts = frame_facts(phantom.celsius, phantom.label.stage == "normal")
        for name, value in facts.items():
            per[name].append(value)
    lr = np.array(per["healthy: |L - R| lower chest band, C"])
    return {
        "view": view,
        "resolution": resolution,
        "count": count,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "figures": {
            name: {
                "synthetic": [round(float(np.nanpercentile(v, q)), 2) for q in (10, 50, 90)],
                "real": list(REAL[name]),
            }
            for name, v in per.items()
        },
        "healthy lower-chest |L-R| >= 0.5 / >= 1.0 C": [
            round(float((lr >= 0.5).mean()), 2),
            round(float((lr >= 1.0).mean()), 2),
        ],
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"family b, view={result['view']}, {result['resolution']}, {result['count']} subjects "
        f"(seed {result['seed']}, {result['seconds']} s)"
    )
    print("| figure | synthetic p10 / med / p90 | real p10 / med / p90 |\n|---|---|---|")
    for name, row in result["figures"].items():
        syn = " / ".join(f"{x:+.2f}" if "C" in name else f"{x:.2f}" for x in row["synthetic"])
        real = " / ".join(f"{x:+.2f}" if "C" in name else f"{x:.2f}" for x in row["real"])
        print(f"| {name} | {syn} | {real} |")
    ge05, ge10 = result["healthy lower-chest |L-R| >= 0.5 / >= 1.0 C"]
    print(f"healthy lower-chest |L-R| >= 0.5 C: {ge05:.0%}, >= 1.0 C: {ge10:.0%} (real: 25%, 4%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--view", choices=("closeup", "wide"), default="wide")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resolution", choices=("lepton", "dmr"), default="dmr")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = run(args.view, args.count, args.seed, args.resolution)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
