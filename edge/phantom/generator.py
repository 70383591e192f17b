"""Synthetic frontal breast thermograms ("phantoms") with exact ground truth.

Seeded and fully deterministic (numpy + OpenCV only). A subject is fixed by ``(seed, index)``:
its anatomy comes from one random stream, its lesions from another that also depends on the
stage, and the sensor noise from a third that ``noise_seed`` replaces, so successive frames of
one subject differ only by noise. See :mod:`edge.phantom.anatomy` for the thermal model and
:mod:`edge.phantom.lesions` for the lesions.

**Ground truth rule.** A pixel is abnormal where the lesions raise its noise-free temperature
by at least :data:`ABNORMAL_EXCESS_C` (0.5 °C) over the same subject rendered without lesions.
Every lesion's peak excess is drawn in 0.8–3.0 °C, so every abnormal subject has a non-empty
mask, and lesions fade to zero at the breast outline, so the mask lies inside the breast.

``Lesion.breast`` names the patient's side: in a frontal view the patient's right breast is on
the image's left.

On-disk layout of :func:`write_dataset`::

    out/<subject>.npy          float32 °C (H, W)     subject = f"synth-{seed:04d}-{index:05d}"
    out/masks/<subject>.png    uint8 0/255 abnormal ground truth
    out/breast/<subject>.png   uint8 0/255 breast region
    out/labels.jsonl           SubjectLabel.to_dict() plus "file": "<subject>.npy", one per line
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import get_args

import numpy as np
import numpy.typing as npt

from edge.errors import ConfigError, DatasetError
from edge.io.readers import write_mask_png
from edge.phantom.anatomy import breast_geometry, draw_anatomy, render_anatomy
from edge.phantom.lesions import draw_lesions, render_lesion
from edge.phantom.types import (
    Lesion,
    Phantom,
    PhantomParts,
    Resolution,
    Stage,
    SubjectLabel,
    subject_id,
)

__all__ = [
    "ABNORMAL_EXCESS_C",
    "FPN_SIGMA_C",
    "NETD_SIGMA_C",
    "RESOLUTIONS",
    "Lesion",
    "Phantom",
    "PhantomParts",
    "Resolution",
    "Stage",
    "SubjectLabel",
    "generate",
    "render_parts",
    "stage_for",
    "subject_id",
    "write_dataset",
]

log = logging.getLogger(__name__)

RESOLUTIONS: dict[str, tuple[int, int]] = {"lepton": (120, 160), "dmr": (480, 640)}
ABNORMAL_EXCESS_C = 0.5
NETD_SIGMA_C = 0.05  # Lepton NETD ~50 mK
FPN_SIGMA_C = 0.03  # per-column fixed-pattern offsets

_STAGES: tuple[str, ...] = get_args(Stage)
_STAGE_CODE = {name: i for i, name in enumerate(_STAGES)}
# Each block of five consecutive indices holds exactly this mix, shuffled per block.
_STAGE_BLOCK: tuple[Stage, ...] = ("normal", "normal", "initial", "middle", "advanced")
_SIDE = ("right", "left")  # breast index 0 is on the image left: the patient's right
# Independent random streams per subject.
_STREAM_STAGE, _STREAM_ANATOMY, _STREAM_LESIONS, _STREAM_FPN, _STREAM_NOISE = 10, 11, 12, 13, 14


def _check_ids(seed: int, index: int) -> None:
    for name, value in (("seed", seed), ("index", index)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ConfigError(f"phantom {name}={value!r}: expected a non-negative integer")


def stage_for(seed: int, index: int) -> Stage:
    """The default stage mix: 40% normal, 20% each other stage (exact per block of five)."""
    _check_ids(seed, index)
    rng = np.random.default_rng([seed, index // len(_STAGE_BLOCK), _STREAM_STAGE])
    order = rng.permutation(len(_STAGE_BLOCK))
    return _STAGE_BLOCK[int(order[index % len(_STAGE_BLOCK)])]


@lru_cache(maxsize=8)
def _noise_free(seed: int, index: int, stage: Stage, resolution: Resolution) -> PhantomParts:
    """The subject without sensor noise; cached so successive frames only draw fresh noise."""
    h, w = RESOLUTIONS[resolution]
    anatomy = draw_anatomy(np.random.default_rng([seed, index, _STREAM_ANATOMY]))
    anatomy_render = render_anatomy(anatomy, h, w)
    without, radii = anatomy_render.celsius, anatomy_render.radii
    breasts = breast_geometry(anatomy, h, w)
    lesion_rng = np.random.default_rng([seed, index, _STREAM_LESIONS, _STAGE_CODE[stage]])
    excess = np.zeros((h, w), np.float32)
    lesions = []
    for spec in draw_lesions(lesion_rng, stage):
        field, radius, peak, center = render_lesion(
            spec, breasts[spec.breast], radii[spec.breast], h, w
        )
        excess += field
        lesions.append(Lesion(_SIDE[spec.breast], center, radius, peak))  # type: ignore[arg-type]
    with_lesions = without + excess
    abnormal = ((with_lesions - without) >= np.float32(ABNORMAL_EXCESS_C)).astype(np.uint8)
    label = SubjectLabel(
        subject=subject_id(seed, index),
        stage=stage,
        lesions=tuple(lesions),
        seed=seed,
        index=index,
        resolution=resolution,
        offset_c=anatomy.offset_c,
    )
    for array in (
        without,
        with_lesions,
        abnormal,
        anatomy_render.breast,
        anatomy_render.body_alpha,
    ):
        array.setflags(write=False)
    empty = np.zeros((0, 0), np.float32)
    return PhantomParts(
        without,
        with_lesions,
        empty,
        abnormal,
        anatomy_render.breast,
        anatomy_render.body_alpha,
        label,
    )


def _resolve_stage(seed: int, index: int, stage: Stage | None, resolution: Resolution) -> Stage:
    _check_ids(seed, index)
    if resolution not in RESOLUTIONS:
        raise ConfigError(
            f"phantom resolution={resolution!r}: expected one of {', '.join(RESOLUTIONS)}"
        )
    stage = stage_for(seed, index) if stage is None else stage
    if stage not in _STAGE_CODE:
        raise ConfigError(f"phantom stage={stage!r}: expected one of {', '.join(_STAGES)}")
    return stage


def _sensor_noise(
    seed: int, index: int, resolution: Resolution, noise_seed: int | None
) -> npt.NDArray[np.float32]:
    """NETD gaussian noise (fresh per ``noise_seed``) plus the subject's column fixed pattern."""
    h, w = RESOLUTIONS[resolution]
    fpn = np.random.default_rng([seed, index, _STREAM_FPN]).normal(0.0, FPN_SIGMA_C, w)
    key = [seed, index, _STREAM_NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    noise = np.random.default_rng(key).standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(NETD_SIGMA_C)
    noise += fpn.astype(np.float32)[None, :]
    return noise


def render_parts(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    noise_seed: int | None = None,
) -> PhantomParts:
    """Render one subject into its noise-free parts, ground truth and sensor noise."""
    stage = _resolve_stage(seed, index, stage, resolution)
    parts = _noise_free(int(seed), int(index), stage, resolution)
    # Copies: the cached noise-free arrays must stay untouched whatever callers do.
    return PhantomParts(
        without_lesions=parts.without_lesions.copy(),
        with_lesions=parts.with_lesions.copy(),
        noise=_sensor_noise(seed, index, resolution, noise_seed),
        abnormal=parts.abnormal.copy(),
        breast=parts.breast.copy(),
        body_alpha=parts.body_alpha.copy(),
        label=parts.label,
    )


def generate(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    noise_seed: int | None = None,
) -> Phantom:
    """One synthetic subject; ``noise_seed`` re-renders it with fresh sensor noise.

    The noise-free render of the last few subjects is cached, so successive frames of one
    subject (the synthetic camera) cost little more than drawing the noise.
    """
    stage = _resolve_stage(seed, index, stage, resolution)
    parts = _noise_free(int(seed), int(index), stage, resolution)
    celsius = parts.with_lesions + _sensor_noise(seed, index, resolution, noise_seed)
    return Phantom(
        celsius=celsius.astype(np.float32, copy=False),
        abnormal=parts.abnormal.copy(),
        breast=parts.breast.copy(),
        label=parts.label,
    )


def write_dataset(
    out: str | Path, count: int, seed: int, *, resolution: Resolution = "lepton"
) -> list[SubjectLabel]:
    """Write ``count`` subjects (indices 0..count-1) in the layout of the module docstring."""
    if count < 1:
        raise DatasetError(f"write_dataset count={count}: expected at least 1 subject")
    out = Path(out)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    (out / "breast").mkdir(parents=True, exist_ok=True)
    labels = []
    with open(out / "labels.jsonl", "w", encoding="utf-8") as fh:
        for index in range(count):
            phantom = generate(seed, index, resolution=resolution)
            name = phantom.label.subject
            np.save(out / f"{name}.npy", phantom.celsius)
            write_mask_png(out / "masks" / f"{name}.png", phantom.abnormal)
            write_mask_png(out / "breast" / f"{name}.png", phantom.breast)
            fh.write(json.dumps({**phantom.label.to_dict(), "file": f"{name}.npy"}) + "\n")
            labels.append(phantom.label)
    log.info("wrote %d synthetic thermograms to %s", count, out)
    return labels
