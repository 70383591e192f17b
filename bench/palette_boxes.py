"""Which palettes make the paper's three RGB boxes reachable, with red at the warm end.

    python -m bench.palette_boxes                 # span 28-38 °C
    python -m bench.palette_boxes --span 30 36

Prints, per palette of :data:`edge.core.preprocess.PALETTES` (and each one reversed, which
:mod:`edge.core.preprocess` does not offer today), the palette indices and the temperature band
of each box over the span, and whether red > green > blue. Instant; no frames involved.
"""

from __future__ import annotations

import argparse

import numpy as np

from edge.core.preprocess import PALETTES, palette_lut
from edge.segmenters.codebook import CodebookConfig
from edge.segmenters.codebook.palettes import box_reach, boxes_in_order


def main(t_min: float, t_max: float) -> None:
    cfg = CodebookConfig()
    boxes = {"red": cfg.red, "green": cfg.green, "blue": cfg.blue}
    print(f"span {t_min}-{t_max} °C")
    print("| palette | red | green | blue | all three, red > green > blue |")
    print("|---|---|---|---|---|")
    for name in PALETTES:
        for label, lut in (
            (name, palette_lut(name)),
            (f"{name} reversed", palette_lut(name)[::-1]),
        ):
            cells = []
            for box in boxes.values():
                r = box_reach(np.ascontiguousarray(lut), box)
                band = r.celsius(t_min, t_max)
                cells.append(
                    "–"
                    if band is None
                    else f"{len(r.indices)} colours, {band[0]:.1f}-{band[1]:.1f} °C"
                )
            ok = boxes_in_order(np.ascontiguousarray(lut), list(boxes.values()))
            print(f"| {label} | {' | '.join(cells)} | {'yes' if ok else 'no'} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--span", nargs=2, type=float, default=(28.0, 38.0))
    args = parser.parse_args()
    main(*args.span)
