"""The real-thermogram facts table, measured on a phantom family, printed beside the real figures.

Same definitions as the facts measured on 162 real DMR-IR matrices: body = Otsu threshold on the
frame's own temperature range; each figure is taken per subject, then p10 / median / p90 over
subjects. The texture figure is taken inside the body eroded by 24 px (3 σ at 640 px wide), so the
body outline does not count as texture. Frames are analysed at the resolution asked for (the real
figures are 640×480: use ``--resolution dmr``, the default).

    python -m bench.phantom_facts --family a --view wide --count 60
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom import generate

__all__ = ["REAL", "figures", "main"]

F32 = npt.NDArray[np.float32]

# (name, p10, median, p90) from the real DMR-IR matrices (docs: real-thermogram-facts.md).
REAL: list[tuple[str, float, float, float]] = [
    ("background median, °C", 21.0, 22.5, 24.7),
    ("body median, °C", 29.5, 31.3, 33.0),
    ("hottest 1 % above body median, °C", 2.2, 3.0, 3.9),
    ("coldest 1 % below body median, °C", -4.1, -3.1, -2.4),
    ("body share of the frame", 0.62, 0.74, 0.83),
    ("breast band (55-85 % H) - body median, °C", -1.0, -0.2, 0.5),
    ("top quarter - body median, °C", -0.5, 0.0, 0.5),
    ("|left half - right half| of the body, °C", 0.04, 0.20, 0.53),
    ("texture: std(T - blur σ=8 px), °C", 0.33, 0.43, 0.57),
    ("healthy: |L - R| lower chest (50-88 % H), °C", 0.03, 0.32, 0.75),
]


def _otsu_body(t: F32) -> npt.NDArray[np.bool_]:
    lo, hi = float(t.min()), float(t.max())
    scaled = np.clip((t - lo) / max(hi - lo, 1e-6) * 255.0, 0, 255).astype(np.uint8)
    thr, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(scaled > thr)


def figures(t: F32, normal: bool) -> list[float]:
    """The facts-table figures of one frame (NaN for the healthy-only one on a sick subject)."""
    h, w = t.shape
    body = _otsu_body(t)
    med = float(np.median(t[body]))
    rows = np.arange(h)[:, None] / h
    cols = np.arange(w)[None, :]

    def band_median(sel: npt.NDArray[np.bool_]) -> float:
        return float(np.median(t[body & sel])) - med if (body & sel).any() else float("nan")

    left, right = body & (cols < w // 2), body & (cols >= w // 2)
    eroded = cv2.erode(body.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=24 * w // 640)
    residual = t - cv2.GaussianBlur(t, (0, 0), 8.0 * w / 640)
    chest = (rows >= 0.5) & (rows <= 0.88) & (np.abs(cols - w / 2) > 0.05 * w)
    lr = float("nan")
    if normal:
        lr = abs(float(t[chest & left].mean()) - float(t[chest & right].mean()))
    return [
        float(np.median(t[~body])),
        med,
        float(np.percentile(t[body], 99)) - med,
        float(np.percentile(t[body], 1)) - med,
        float(body.mean()),
        band_median((rows >= 0.55) & (rows <= 0.85)),
        band_median(rows < 0.25),
        abs(float(t[left].mean()) - float(t[right].mean())),
        float(residual[eroded > 0].std()),
        lr,
    ]


def hot_outside_roi(t: F32, roi: npt.NDArray[np.uint8]) -> float:
    """Share of the body's hottest 1 % that lies outside the breast ROI."""
    body = _otsu_body(t)
    hot = body & (t >= np.percentile(t[body], 99))
    return float((hot & (roi == 0)).sum() / max(1, hot.sum()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", default="a")
    p.add_argument("--view", default="wide", choices=("closeup", "wide"))
    p.add_argument("--resolution", default="dmr", choices=("lepton", "dmr"))
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rows, outside = [], []
    make: Callable[[int], object] = lambda i: generate(  # noqa: E731
        args.seed, i, resolution=args.resolution, view=args.view, family=args.family
    )
    for i in range(args.count):
        ph = make(i)
        normal = ph.label.stage == "normal"  # type: ignore[attr-defined]
        rows.append(figures(ph.celsius, normal))  # type: ignore[attr-defined]
        if normal:
            outside.append(hot_outside_roi(ph.celsius, ph.breast))  # type: ignore[attr-defined]
    values = np.array(rows)
    print(f"family {args.family}, view {args.view}, {args.resolution}, {args.count} subjects")
    print(f"{'figure':<46} {'phantom p10/med/p90':>22}   {'real p10/med/p90':>20}")
    for k, (name, r10, r50, r90) in enumerate(REAL):
        col = values[:, k][~np.isnan(values[:, k])]
        p10, p50, p90 = np.percentile(col, [10, 50, 90])
        print(f"{name:<46} {p10:6.2f} {p50:6.2f} {p90:6.2f}     {r10:6.2f} {r50:6.2f} {r90:6.2f}")
    if outside:
        print(
            f"normals: share of the hottest 1 % of the body outside the breast ROI, median "
            f"{np.median(outside):.2f} (min {min(outside):.2f}, {len(outside)} subjects)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
