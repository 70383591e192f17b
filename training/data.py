"""Datasets: find image/mask pairs, split them by subject, feed them to Keras through tf.data.

Three folder layouts are recognised (:func:`discover`):

* **synthetic**, written by :func:`edge.phantom.write_dataset`: ``labels.jsonl`` (one line per
  frame with ``file`` and ``subject``), the frames beside it and ``masks/<stem>.png``;
* **generic**: ``images/`` and ``masks/`` whose files share a stem;
* **dmr**: DMR-IR temperature matrices ``*.txt`` with ``masks/<stem>.png``.

Images and masks are paired (and their sizes checked) when loaded, before any shuffling; a
shuffle permutes whole pairs. Frames are split by subject, never by frame, so no subject is in
both train and validation. The training stream augments in °C and then runs the device's own
:func:`edge.core.preprocess.to_model_input`, so training sees exactly what the device sees.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from edge.core.frame import Frame, FrameKind
from edge.core.preprocess import PreprocessConfig, mask_to_model, model_input
from edge.errors import DatasetError, FrameError
from edge.io.readers import list_frame_files, read_frame, read_mask
from training.augment import AugmentConfig, augment

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "Layout",
    "Pair",
    "Sample",
    "data_hash",
    "discover",
    "load_pairs",
    "make_dataset",
    "model_arrays",
    "split_by_subject",
]

log = logging.getLogger(__name__)

Layout = Literal["synthetic", "generic", "dmr"]
_MASK_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".npy", ".jpg")


@dataclass(frozen=True)
class Sample:
    """One image file, its mask file and the subject it belongs to."""

    subject: str
    image: Path
    mask: Path
    stage: str | None = None


@dataclass(frozen=True)
class Pair:
    """A loaded sample: the frame's pixels (°C float32 or RGB uint8) and its 0/1 mask."""

    sample: Sample
    pixels: np.ndarray
    mask: npt.NDArray[np.uint8]


def _find_mask(masks: Path, stem: str, image: Path) -> Path:
    for suffix in _MASK_SUFFIXES:
        candidate = masks / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{image}: no mask for it; expected {masks / stem}.png")


def _subject_of(stem: str, separator: str | None) -> str:
    return stem.split(separator, 1)[0] if separator else stem


def _synthetic(folder: Path) -> list[Sample]:
    labels = folder / "labels.jsonl"
    samples = []
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            image = folder / str(row["file"])
            subject = str(row["subject"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(
                f"{labels}:{n}: expected JSON with 'file' and 'subject': {exc}"
            ) from exc
        if not image.is_file():
            raise DatasetError(f"{labels}:{n}: frame file {image} does not exist")
        mask = _find_mask(folder / "masks", image.stem, image)
        samples.append(Sample(subject, image, mask, row.get("stage")))
    return samples


def _paired(images: Sequence[Path], masks: Path, separator: str | None) -> list[Sample]:
    return [Sample(_subject_of(p.stem, separator), p, _find_mask(masks, p.stem, p)) for p in images]


def discover(folder: str | Path, *, separator: str | None = None) -> tuple[Layout, list[Sample]]:
    """The folder's layout and its samples, every image paired with its mask.

    ``separator`` splits a generic/DMR file stem into ``<subject><separator>...`` (None: the
    whole stem is the subject). Raises :class:`DatasetError` naming the folder or file at fault.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    layout: Layout
    if (folder / "labels.jsonl").is_file():
        layout, samples = "synthetic", _synthetic(folder)
    elif (folder / "images").is_dir():
        if not (folder / "masks").is_dir():
            raise DatasetError(f"{folder}: has images/ but no masks/ folder")
        layout = "generic"
        samples = _paired(list_frame_files(folder / "images"), folder / "masks", separator)
    elif list(folder.glob("*.txt")):
        if not (folder / "masks").is_dir():
            raise DatasetError(f"{folder}: DMR-IR matrices (*.txt) but no masks/ folder")
        layout = "dmr"
        samples = _paired(sorted(folder.glob("*.txt")), folder / "masks", separator)
    elif parts := sorted(d for d in folder.iterdir() if (d / "labels.jsonl").is_file()):
        # A collection: several synthetic datasets (e.g. views or families) trained on together.
        layout, samples = "synthetic", [s for d in parts for s in _synthetic(d)]
    elif not any(folder.iterdir()):
        raise DatasetError(f"{folder}: empty folder; expected a dataset")
    else:
        raise DatasetError(
            f"{folder}: unknown layout; expected labels.jsonl + masks/ (synthetic, or sub-folders "
            "of them), "
            "images/ + masks/ (generic) or *.txt + masks/ (DMR-IR)"
        )
    if not samples:
        raise DatasetError(f"{folder}: no image/mask pairs found ({layout} layout)")
    log.info("%s: %s layout, %d frames", folder, layout, len(samples))
    return layout, samples


def split_by_subject(
    samples: Sequence[Sample], val_fraction: float, seed: int
) -> tuple[list[Sample], list[Sample]]:
    """Train and validation samples; every subject's frames land on one side only."""
    subjects = sorted({s.subject for s in samples})
    if len(subjects) < 2:
        raise DatasetError(
            f"{len(subjects)} subject(s) in {len(samples)} frames; need at least 2 to split"
        )
    order = np.random.default_rng(seed).permutation(len(subjects))
    n_val = min(len(subjects) - 1, max(1, round(len(subjects) * val_fraction)))
    val_subjects = {subjects[i] for i in order[:n_val]}
    train = [s for s in samples if s.subject not in val_subjects]
    val = [s for s in samples if s.subject in val_subjects]
    return train, val


def _frame_pixels(frame: Frame) -> np.ndarray:
    celsius = frame.celsius()
    return celsius if celsius is not None else frame.pixels


def load_pairs(samples: Sequence[Sample]) -> list[Pair]:
    """Read every sample; a mask whose size differs from its image raises DatasetError."""
    pairs = []
    for s in samples:
        try:
            pixels = _frame_pixels(read_frame(s.image))
            mask = read_mask(s.mask)
        except FrameError as exc:
            raise DatasetError(f"{s.image}: cannot load pair: {exc}") from exc
        if pixels.shape[:2] != mask.shape:
            raise DatasetError(
                f"{s.mask}: mask is {mask.shape[1]}x{mask.shape[0]} but its image {s.image} is "
                f"{pixels.shape[1]}x{pixels.shape[0]}; expected the same size"
            )
        pairs.append(Pair(s, pixels, mask))
    return pairs


def _to_model(
    pixels: np.ndarray, mask: np.ndarray, cfg: PreprocessConfig
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    kind: FrameKind = "celsius" if pixels.ndim == 2 else "rgb"
    # One preprocessing with the device: the mask is cut to the same crop as the input.
    model = model_input(Frame(pixels=pixels, kind=kind), cfg)
    return model.image, mask_to_model(mask, cfg.size, model.box)[..., None]


def model_arrays(
    pairs: Sequence[Pair], cfg: PreprocessConfig
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Un-augmented (N, S, S, 3) RGB inputs and (N, S, S, 1) masks, in the pairs' order."""
    xs, ys = zip(*(_to_model(p.pixels, p.mask, cfg) for p in pairs), strict=True)
    return np.stack(xs), np.stack(ys)


def _stream(
    pairs: Sequence[Pair], cfg: PreprocessConfig, aug: AugmentConfig | None, seed: int
) -> Iterator[tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]]:
    """Endless: each pass is a fresh seeded permutation of whole pairs."""
    rng = np.random.default_rng(seed)
    while True:
        for i in rng.permutation(len(pairs)):
            pixels, mask = pairs[i].pixels, pairs[i].mask
            if aug is not None:
                pixels, mask = augment(pixels, mask, rng, aug)
            yield _to_model(pixels, mask, cfg)


def make_dataset(
    pairs: Sequence[Pair],
    cfg: PreprocessConfig,
    *,
    batch_size: int,
    seed: int,
    augmentation: AugmentConfig | None = None,
) -> tf.data.Dataset:
    """An endless shuffled, augmented, batched stream of (RGB float32, mask float32)."""
    import tensorflow as tf

    if not pairs:
        raise DatasetError("no training pairs to stream")
    s = cfg.size
    ds = tf.data.Dataset.from_generator(
        lambda: _stream(pairs, cfg, augmentation, seed),
        output_signature=(
            tf.TensorSpec((s, s, 3), tf.uint8),
            tf.TensorSpec((s, s, 1), tf.uint8),
        ),
    )
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.cast(y, tf.float32)))
    return ds.prefetch(tf.data.AUTOTUNE)


def data_hash(samples: Sequence[Sample]) -> str:
    """sha256 over every image and mask file's name and bytes, in a stable order."""
    digest = hashlib.sha256()
    for s in sorted(samples, key=lambda s: str(s.image)):
        for path in (s.image, s.mask):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
