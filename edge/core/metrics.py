"""Segmentation and screening metrics on 0/1 masks, and an accumulator for a whole dataset.

Pixel metrics (Dice, IoU, precision, recall) compare a predicted mask with the ground truth.
Conventions for empty masks, so a correct "nothing here" scores as correct:

* Dice and IoU of two empty masks are 1.0 (perfect agreement); one empty, one not: 0.0.
* Precision with no predicted pixel is 1.0 (no false alarm) — 0.0 would punish a correct
  silence; recall with no true pixel is 1.0 (nothing was missed).

Image-level metrics (sensitivity, specificity) count frames called abnormal against frames
that truly are; a rate with an empty denominator is ``None`` in summaries (nothing to measure).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from edge.core._visibility import (
    CCR_BINS,
    CCR_EDGES,
    LesionVisibility,
    ccr_bin,
    lesion_visibility,
)
from edge.errors import FrameError, ThermosegError

if TYPE_CHECKING:
    from edge.core.screening import Decision

__all__ = [
    "Evaluation",
    "ImageConfusion",
    "PixelCounts",
    "dice",
    "format_markdown",
    "iou",
    "precision",
    "recall",
]

log = logging.getLogger(__name__)

Mask = npt.NDArray[Any]


def _pair(pred: Mask, truth: Mask) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    p, t = np.asarray(pred), np.asarray(truth)
    if p.shape != t.shape:
        raise FrameError(
            f"mask shapes differ: prediction {p.shape}, truth {t.shape}; expected equal"
        )
    return p > 0, t > 0


@dataclass(frozen=True)
class PixelCounts:
    """Pixel confusion counts of one or many masks; ``+`` adds them (micro averaging)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def of(cls, pred: Mask, truth: Mask) -> PixelCounts:
        """Counts of a predicted 0/1 mask against the truth (any non-zero is 1)."""
        p, t = _pair(pred, truth)
        tp = int(np.count_nonzero(p & t))
        fp = int(np.count_nonzero(p)) - tp
        fn = int(np.count_nonzero(t)) - tp
        return cls(tp=tp, fp=fp, fn=fn, tn=int(p.size) - tp - fp - fn)

    def __add__(self, other: PixelCounts) -> PixelCounts:
        return PixelCounts(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def dice(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 1.0 if denom == 0 else 2 * self.tp / denom

    @property
    def iou(self) -> float:
        denom = self.tp + self.fp + self.fn
        return 1.0 if denom == 0 else self.tp / denom

    @property
    def precision(self) -> float:
        denom = self.tp + self.fp
        return 1.0 if denom == 0 else self.tp / denom

    @property
    def recall(self) -> float:
        denom = self.tp + self.fn
        return 1.0 if denom == 0 else self.tp / denom

    def to_dict(self) -> dict[str, int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}


def dice(pred: Mask, truth: Mask) -> float:
    """Dice coefficient 2|P∩T| / (|P| + |T|); 1.0 when both masks are empty."""
    return PixelCounts.of(pred, truth).dice


def iou(pred: Mask, truth: Mask) -> float:
    """Intersection over union |P∩T| / |P∪T|; 1.0 when both masks are empty."""
    return PixelCounts.of(pred, truth).iou


def precision(pred: Mask, truth: Mask) -> float:
    """|P∩T| / |P|; 1.0 when nothing is predicted."""
    return PixelCounts.of(pred, truth).precision


def recall(pred: Mask, truth: Mask) -> float:
    """|P∩T| / |T|; 1.0 when the truth is empty."""
    return PixelCounts.of(pred, truth).recall


def _rate(num: int, denom: int) -> float | None:
    return None if denom == 0 else num / denom


@dataclass(frozen=True)
class ImageConfusion:
    """Frame-level confusion: abnormal frames found (tp), missed (fn), false alarms (fp)."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def __add__(self, other: ImageConfusion) -> ImageConfusion:
        return ImageConfusion(
            self.tp + other.tp, self.fp + other.fp, self.tn + other.tn, self.fn + other.fn
        )

    def add(self, pred_abnormal: bool, truth_abnormal: bool) -> ImageConfusion:
        """These counts plus one frame."""
        return self + ImageConfusion(
            tp=int(pred_abnormal and truth_abnormal),
            fp=int(pred_abnormal and not truth_abnormal),
            tn=int(not pred_abnormal and not truth_abnormal),
            fn=int(not pred_abnormal and truth_abnormal),
        )

    @property
    def sensitivity(self) -> float | None:
        """Abnormal frames flagged / abnormal frames; None without abnormal frames."""
        return _rate(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float | None:
        """Normal frames passed / normal frames; None without normal frames."""
        return _rate(self.tn, self.tn + self.fp)

    def to_dict(self) -> dict[str, int]:
        return {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}


@dataclass
class Evaluation:
    """Accumulates frames of one method; :meth:`summary` gives its metrics."""

    pixels: PixelCounts = field(default_factory=PixelCounts)
    images: ImageConfusion = field(default_factory=ImageConfusion)
    dice_abnormal: list[float] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    lesions: list[LesionVisibility] = field(default_factory=list)
    # Per abnormal radiometric frame: its most visible lesion's CCR, and whether it was flagged.
    abnormal_frames: list[tuple[float | None, bool]] = field(default_factory=list)

    def add(
        self,
        pred_mask: Mask,
        truth_mask: Mask,
        *,
        pred_abnormal: bool,
        truth_abnormal: bool,
        seconds: float,
    ) -> None:
        """One frame: its masks, the frame-level decisions, and the seconds it took."""
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise ThermosegError(
                f"Evaluation.add seconds = {seconds!r}: expected a finite time >= 0"
            )
        counts = PixelCounts.of(pred_mask, truth_mask)
        self.pixels = self.pixels + counts
        self.images = self.images.add(bool(pred_abnormal), bool(truth_abnormal))
        if truth_abnormal:
            self.dice_abnormal.append(counts.dice)
        self.frames += 1
        self.seconds += float(seconds)

    def add_decision(self, decision: Decision, truth: Mask) -> None:
        """One screened frame against its truth mask: its pixels, its call, and (on a
        radiometric frame with lesions) how visible each lesion was and how much was found."""
        abnormal = bool(np.asarray(truth).any())
        self.add(
            decision.mask,
            truth,
            pred_abnormal=decision.abnormal,
            truth_abnormal=abnormal,
            seconds=decision.timings_ms["segment"] / 1e3,
        )
        if not (abnormal and decision.frame.radiometric):
            return
        celsius = decision.frame.celsius()
        assert celsius is not None  # radiometric
        lesions = lesion_visibility(celsius, truth, decision.mask, decision.roi)
        self.lesions.extend(lesions)
        ccrs = [v.ccr for v in lesions if v.ccr is not None]
        self.abnormal_frames.append((max(ccrs) if ccrs else None, decision.abnormal))

    def visibility(self) -> dict[str, Any] | None:
        """Lesions and abnormal frames by contrast-to-clutter bin (ADR 0016); None before any
        radiometric abnormal frame came through :meth:`add_decision`.

        Per bin: ``lesions``, ``segmented`` (at least half of a lesion's pixels predicted),
        ``recall_mean`` (mean share of its pixels), and the abnormal frames binned by their most
        visible lesion with how many were ``flagged``."""
        if not self.abnormal_frames:
            return None
        counts = {label: [0, 0, 0, 0] for label in CCR_BINS}  # lesions, segmented, frames, flagged
        recalls: dict[str, list[float]] = {label: [] for label in CCR_BINS}
        for v in self.lesions:
            label = ccr_bin(v.ccr)
            counts[label][0] += 1
            counts[label][1] += int(v.recall >= 0.5)
            recalls[label].append(v.recall)
        for ccr, flagged in self.abnormal_frames:
            counts[ccr_bin(ccr)][2] += 1
            counts[ccr_bin(ccr)][3] += int(flagged)
        bins = {
            label: {
                "lesions": n,
                "segmented": segmented,
                "recall_mean": float(np.mean(recalls[label])) if recalls[label] else None,
                "frames": frames,
                "flagged": flagged,
            }
            for label, (n, segmented, frames, flagged) in counts.items()
        }
        return {"ccr_edges": list(CCR_EDGES), "bins": bins}

    def summary(self) -> dict[str, Any]:
        """Metrics so far (JSON-serialisable).

        ``dice``/``iou``/``precision``/``recall`` are micro averages over every pixel of every
        frame; ``dice_mean`` is the mean per-frame Dice over frames whose truth is abnormal
        (None without any); ``sensitivity``/``specificity`` are frame-level; ``fps`` is frames
        over the summed seconds (None when no time was recorded).
        """
        p = self.pixels
        return {
            "frames": self.frames,
            "dice": p.dice,
            "dice_mean": (float(np.mean(self.dice_abnormal)) if self.dice_abnormal else None),
            "iou": p.iou,
            "precision": p.precision,
            "recall": p.recall,
            "sensitivity": self.images.sensitivity,
            "specificity": self.images.specificity,
            "fps": self.frames / self.seconds if self.seconds > 0 else None,
            "seconds": self.seconds,
            "pixels": p.to_dict(),
            "images": self.images.to_dict(),
            "visibility": self.visibility(),
        }


_COLUMNS = (
    ("Dice", "dice"),
    ("Dice (mean, abnormal)", "dice_mean"),
    ("IoU", "iou"),
    ("Precision", "precision"),
    ("Recall", "recall"),
    ("Sensitivity", "sensitivity"),
    ("Specificity", "specificity"),
    ("Frames", "frames"),
    ("Frames/s", "fps"),
)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "frames":
        return str(int(value))
    if key == "fps":
        return f"{float(value):.1f}"
    return f"{float(value):.3f}"


def format_markdown(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """A Markdown table with one row per ``(method, summary)``; missing values show as –."""
    head = "| Method | " + " | ".join(title for title, _ in _COLUMNS) + " |"
    rule = "|---|" + "|".join("---:" for _ in _COLUMNS) + "|"
    lines = [head, rule]
    for name, summary in rows:
        cells = [_cell(key, summary.get(key)) for _, key in _COLUMNS]
        lines.append(f"| {name.replace('|', '/')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
