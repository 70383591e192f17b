"""Synthetic frontal breast thermograms ("phantoms") with exact ground truth.

Seeded and fully deterministic (numpy + OpenCV only). A subject is fixed by ``(seed, index)``:
its anatomy comes from one random stream, its lesions from another that also depends on the
stage, and the sensor noise from a third that ``noise_seed`` replaces, so successive frames of
one subject differ only by noise. See :mod:`edge.phantom_anatomy` for the thermal model and
:mod:`edge.phantom_lesions` for the lesions.

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from edge.errors import ConfigError, DatasetError
from edge.frame import Frame
from edge.phantom_anatomy import breast_geometry, draw_anatomy, render_anatomy
from edge.phantom_lesions import draw_lesions, render_lesion
from edge.readers import write_mask_png

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

Stage = Literal["normal", "initial", "middle", "advanced"]
Resolution = Literal["lepton", "dmr"]
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


@dataclass(frozen=True)
class Lesion:
    """One lesion: which breast (patient's side), centre (y, x) px, radius px, peak excess °C."""

    breast: Literal["left", "right"]
    center_yx: tuple[float, float]
    radius_px: float
    excess_c: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "breast": self.breast,
            "center_yx": [round(self.center_yx[0], 3), round(self.center_yx[1], 3)],
            "radius_px": round(self.radius_px, 3),
            "excess_c": round(self.excess_c, 4),
        }


@dataclass(frozen=True)
class SubjectLabel:
    """What is known about one synthetic subject (JSON-serialisable through :meth:`to_dict`)."""

    subject: str
    stage: Stage
    lesions: tuple[Lesion, ...]
    seed: int
    index: int
    resolution: Resolution
    offset_c: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "stage": self.stage,
            "lesions": [lesion.to_dict() for lesion in self.lesions],
            "seed": self.seed,
            "index": self.index,
            "resolution": self.resolution,
            "offset_c": round(self.offset_c, 4),
        }


@dataclass(frozen=True)
class Phantom:
    """A rendered subject: °C with sensor noise, abnormal and breast masks (0/1), label."""

    celsius: npt.NDArray[np.float32]
    abnormal: npt.NDArray[np.uint8]
    breast: npt.NDArray[np.uint8]
    label: SubjectLabel

    def frame(self, sequence: int = 0, timestamp: float | None = None) -> Frame:
        """This phantom as a ``celsius`` :class:`~edge.frame.Frame`."""
        return Frame(
            pixels=self.celsius,
            kind="celsius",
            timestamp=time.time() if timestamp is None else timestamp,
            sequence=sequence,
            source=f"phantom:{self.label.subject}",
            metadata={
                "subject": self.label.subject,
                "stage": self.label.stage,
                "synthetic": True,
                "resolution": self.label.resolution,
                "lesions": len(self.label.lesions),
            },
        )


@dataclass(frozen=True)
class PhantomParts:
    """The noise-free renders behind a phantom (for tests and the ground-truth rule)."""

    without_lesions: npt.NDArray[np.float32]
    with_lesions: npt.NDArray[np.float32]
    noise: npt.NDArray[np.float32]
    abnormal: npt.NDArray[np.uint8]
    breast: npt.NDArray[np.uint8]
    body_alpha: npt.NDArray[np.float32]  # 1 on skin, 0 on background
    label: SubjectLabel


def subject_id(seed: int, index: int) -> str:
    """The subject name used for files and labels."""
    return f"synth-{seed:04d}-{index:05d}"


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


def render_parts(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    noise_seed: int | None = None,
) -> PhantomParts:
    """Render one subject into its noise-free parts, ground truth and sensor noise."""
    _check_ids(seed, index)
    if resolution not in RESOLUTIONS:
        raise ConfigError(
            f"phantom resolution={resolution!r}: expected one of {', '.join(RESOLUTIONS)}"
        )
    stage = stage_for(seed, index) if stage is None else stage
    if stage not in _STAGE_CODE:
        raise ConfigError(f"phantom stage={stage!r}: expected one of {', '.join(_STAGES)}")
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

    fpn = np.random.default_rng([seed, index, _STREAM_FPN]).normal(0.0, FPN_SIGMA_C, w)
    key = [seed, index, _STREAM_NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    noise = np.random.default_rng(key).standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(NETD_SIGMA_C)
    noise += fpn.astype(np.float32)[None, :]
    label = SubjectLabel(
        subject=subject_id(seed, index),
        stage=stage,
        lesions=tuple(lesions),
        seed=int(seed),
        index=int(index),
        resolution=resolution,
        offset_c=anatomy.offset_c,
    )
    return PhantomParts(
        without_lesions=without,
        with_lesions=with_lesions,
        noise=noise,
        abnormal=abnormal,
        breast=anatomy_render.breast,
        body_alpha=anatomy_render.body_alpha,
        label=label,
    )


def generate(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    noise_seed: int | None = None,
) -> Phantom:
    """One synthetic subject; ``noise_seed`` re-renders it with fresh sensor noise."""
    parts = render_parts(seed, index, stage=stage, resolution=resolution, noise_seed=noise_seed)
    celsius = (parts.with_lesions + parts.noise).astype(np.float32)
    return Phantom(celsius=celsius, abnormal=parts.abnormal, breast=parts.breast, label=parts.label)


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
