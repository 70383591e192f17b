"""The values :mod:`edge.phantom.generator` returns: lesions, subject labels, phantoms and their parts.

``Lesion.breast`` names the patient's side: in a frontal view facing the patient, the patient's
right breast is on the image's left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from edge.core.frame import Frame

__all__ = [
    "Lesion",
    "Phantom",
    "PhantomParts",
    "Resolution",
    "Stage",
    "SubjectLabel",
    "View",
    "subject_id",
]

Stage = Literal["normal", "initial", "middle", "advanced"]
Resolution = Literal["lepton", "dmr"]
View = Literal["closeup", "wide"]


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
    family: str = "a"
    view: View = "closeup"

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "stage": self.stage,
            "lesions": [lesion.to_dict() for lesion in self.lesions],
            "seed": self.seed,
            "index": self.index,
            "resolution": self.resolution,
            "offset_c": round(self.offset_c, 4),
            "family": self.family,
            "view": self.view,
        }


@dataclass(frozen=True)
class Phantom:
    """A rendered subject: °C with sensor noise, abnormal and breast masks (0/1), label."""

    celsius: npt.NDArray[np.float32]
    abnormal: npt.NDArray[np.uint8]
    breast: npt.NDArray[np.uint8]
    label: SubjectLabel

    def frame(self, sequence: int = 0, timestamp: float | None = None) -> Frame:
        """This phantom as a ``celsius`` :class:`~edge.core.frame.Frame`."""
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
                "family": self.label.family,
                "view": self.label.view,
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

    def with_noise(self, noise: npt.NDArray[np.float32]) -> PhantomParts:
        """These parts with ``noise`` as the sensor noise, every array a copy (a family caches
        its noise-free parts: they must stay untouched whatever callers do)."""
        return PhantomParts(
            without_lesions=self.without_lesions.copy(),
            with_lesions=self.with_lesions.copy(),
            noise=noise,
            abnormal=self.abnormal.copy(),
            breast=self.breast.copy(),
            body_alpha=self.body_alpha.copy(),
            label=self.label,
        )

    def phantom(self, noise: npt.NDArray[np.float32]) -> Phantom:
        """The subject seen through ``noise``: °C with noise, copies of both masks, the label."""
        celsius = self.with_lesions + noise
        return Phantom(
            celsius=celsius.astype(np.float32, copy=False),
            abnormal=self.abnormal.copy(),
            breast=self.breast.copy(),
            label=self.label,
        )


def subject_id(seed: int, index: int, family: str = "a", view: str = "closeup") -> str:
    """The subject name used for files and labels, distinct per family and view.

    Family "a" close-ups keep the historical ``synth-SSSS-IIIII`` so existing datasets stay valid.
    """
    if family == "a" and view == "closeup":
        return f"synth-{seed:04d}-{index:05d}"
    return f"synth-{family}-{view}-{seed:04d}-{index:05d}"
