"""Synthetic frontal breast thermograms ("phantoms") with exact ground truth: the public entry.

Seeded and fully deterministic (numpy + OpenCV only). A subject is fixed by ``(seed, index)``,
its family and its view; ``noise_seed`` re-renders it with fresh sensor noise, so successive
frames of one subject differ only by noise.

**Families.** :data:`FAMILIES` maps a family name to a function
``(seed, index, stage, resolution, view, noise_seed) -> Phantom``. Families are independently
parameterised generators (different anatomy code), so that a model can be tested on a family it
never saw. Family "a" is :mod:`edge.phantom.family_a`, family "b" :mod:`edge.phantom.family_b`.

Family "c" (:mod:`edge.phantom.family_c`) is the held-out test family: models are built with
"a" and "b" and never with "c", and nothing in "c" is tuned to a model (only to the aggregate
real-thermogram facts). Its code is its own: a signed-distance body in centimetres (smooth
unions of trunk, neck, shoulders, arms; tapered breasts with ptosis), heat sources placed by
that shape and spread by conduction, gradient-noise texture with ridge-noise vessels, and five
lesion looks (focal, multi-lobed, diffuse, periareolar ring, fold crescent). It uses the
shared stage mix (:func:`stage_for`) and subject names (``synth-c-<view>-SSSS-IIIII``).

Family "d" (:mod:`edge.phantom.family_d`) is a fourth training family, built beside "a" and "b"
so that a model sees more independent generators; "c" stays the never-seen test. Its code is
its own: a scanline body (a spline contour per row, arms as ribbons at their own angle,
ellipsoid breasts whose slope gives a viewing angle), skin temperatures from steady heat flow
core-to-room (thin, fatty, contact and perfused tissue as factors on the Biot number,
directional emissivity at grazing angles), branching Murray's-law vessel trees, sparse Gabor
noise texture, and lesions as anisotropic nodules with a feeding vessel, quadrant plateaus,
areolar crescents and fold warmings. Shared stage mix; subjects ``synth-d-<view>-SSSS-IIIII``.

**Views.** ``closeup``: a Lepton close-up of the chest, the breasts fill much of the frame.
``wide``: the DMR-IR clinical framing (neck, shoulders, arms, axillae, chest, folds, abdomen).

**Ground truth rule** (every family). A pixel is abnormal where the lesions raise its noise-free
temperature by at least :data:`ABNORMAL_EXCESS_C` (0.5 °C) over the same subject rendered without
lesions. Every lesion's peak excess is at least 0.8 °C, so every abnormal subject has a non-empty
mask, and lesions fade to zero at the breast outline, so the mask lies inside the breast ROI.
The breast ROI is both breasts, the axillary tail excluded, bounded by the inframammary folds.

``Lesion.breast`` names the patient's side: in a frontal view the patient's right breast is on
the image's left.

On-disk layout of :func:`write_dataset`::

    out/<subject>.npy          float32 °C (H, W)     subject = subject_id(seed, index, family, view)
    out/masks/<subject>.png    uint8 0/255 abnormal ground truth
    out/breast/<subject>.png   uint8 0/255 breast region (ROI truth)
    out/labels.jsonl           SubjectLabel.to_dict() plus "file": "<subject>.npy", one per line
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge.errors import ConfigError, DatasetError
from edge.io.readers import write_mask_png
from edge.phantom.family_a import generate_a, render_parts
from edge.phantom.family_b import generate_b
from edge.phantom.family_c import generate_c
from edge.phantom.family_d import generate_d
from edge.phantom.rules import (
    ABNORMAL_EXCESS_C,
    FPN_SIGMA_C,
    NETD_SIGMA_C,
    RESOLUTIONS,
    VIEWS,
    stage_for,
)
from edge.phantom.types import (
    Lesion,
    Phantom,
    PhantomParts,
    Resolution,
    Stage,
    SubjectLabel,
    View,
    subject_id,
)

__all__ = [
    "ABNORMAL_EXCESS_C",
    "FAMILIES",
    "FPN_SIGMA_C",
    "NETD_SIGMA_C",
    "RESOLUTIONS",
    "VIEWS",
    "Family",
    "Lesion",
    "Phantom",
    "PhantomParts",
    "Resolution",
    "Stage",
    "SubjectLabel",
    "View",
    "generate",
    "render_parts",
    "stage_for",
    "subject_id",
    "write_dataset",
]

log = logging.getLogger(__name__)

# (seed, index, stage, resolution, view, noise_seed) -> Phantom
Family = Callable[[int, int, "Stage | None", Resolution, View, "int | None"], Phantom]


def _generate_b(
    seed: int,
    index: int,
    stage: Stage | None,
    resolution: Resolution,
    view: View,
    noise_seed: int | None,
) -> Phantom:
    return generate_b(
        seed, index, stage=stage, resolution=resolution, view=view, noise_seed=noise_seed
    )


FAMILIES: dict[str, Family] = {
    "a": generate_a,
    "b": _generate_b,
    "c": generate_c,
    "d": generate_d,
}


def _family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"phantom family={name!r}: expected one of {', '.join(sorted(FAMILIES))}"
        ) from None


def generate(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    family: str = "a",
    noise_seed: int | None = None,
) -> Phantom:
    """One synthetic subject; ``noise_seed`` re-renders it with fresh sensor noise.

    Family "a" caches the noise-free render of the last few subjects, so successive frames of
    one subject (the synthetic camera) cost little more than drawing the noise.
    """
    return _family(family)(seed, index, stage, resolution, view, noise_seed)


def write_dataset(
    out: str | Path,
    count: int,
    seed: int,
    *,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    family: str = "a",
) -> list[SubjectLabel]:
    """Write ``count`` subjects (indices 0..count-1) in the layout of the module docstring."""
    if count < 1:
        raise DatasetError(f"write_dataset count={count}: expected at least 1 subject")
    make = _family(family)
    out = Path(out)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    (out / "breast").mkdir(parents=True, exist_ok=True)
    labels = []
    with open(out / "labels.jsonl", "w", encoding="utf-8") as fh:
        for index in range(count):
            phantom = make(seed, index, None, resolution, view, None)
            name = phantom.label.subject
            np.save(out / f"{name}.npy", phantom.celsius)
            write_mask_png(out / "masks" / f"{name}.png", phantom.abnormal)
            write_mask_png(out / "breast" / f"{name}.png", phantom.breast)
            fh.write(json.dumps({**phantom.label.to_dict(), "file": f"{name}.npy"}) + "\n")
            labels.append(phantom.label)
    log.info("wrote %d synthetic thermograms (family %s, %s) to %s", count, family, view, out)
    return labels
