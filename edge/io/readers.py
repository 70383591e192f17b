"""Read frame and mask files, choosing the reader by the file's content (magic bytes).

Formats (``Frame.metadata["format"]``):

* ``npy``: a 2-D float array of °C (``celsius``), a 2-D uint16 array of Lepton Y16 (``y16``)
  or a uint8 (H, W, 3) RGB array (``rgb``).
* ``dmr-txt``: a DMR-IR temperature matrix, text of °C (480 rows × 640 columns in the
  database; any rectangular size is accepted), values separated by spaces or semicolons,
  possibly with a trailing separator, lines ending ``\\n``, ``\\r\\n`` or ``\\r\\r\\n``.
* ``png16`` / ``tiff16``: 16-bit single-channel Lepton Y16 in TLinear mode (``y16``).
  **Assumption:** counts are centikelvin (0.01 K, the Lepton default) unless
  ``resolution_k=0.1`` is passed for decikelvin files; the two cannot be told apart reliably
  from the data, so a file whose counts would mean below -100 °C is logged as suspicious.
* ``tiff-float``: a 32/64-bit float single-channel TIFF of °C (``celsius``).
* ``png8`` / ``jpeg`` / ``tiff8``: 8-bit pseudo-colour (``rgb``, converted from OpenCV's BGR;
  grey images become three equal channels).

Anything truncated, empty, non-numeric or of the wrong shape raises
:class:`~edge.errors.FrameError` naming the file and the problem. Sizes are checked from the
header against :class:`~edge.io.limits.ReadLimits` before anything is decoded, so memory stays
bounded whatever a file declares; a multi-page TIFF is refused (one frame per file).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.core.frame import Frame, FrameKind
from edge.errors import FrameError
from edge.io._dmr_text import check_celsius_range, parse_temperature_matrix
from edge.io._headers import NpyContent, check_image_header, read_npy_bytes
from edge.io.limits import DEFAULT_LIMITS, ReadLimits, check_file_size
from edge.io.overlay import write_png

__all__ = [
    "FORMATS",
    "FRAME_SUFFIXES",
    "list_frame_files",
    "read_frame",
    "read_mask",
    "write_mask_png",
]

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = (
    "npy",
    "dmr-txt",
    "png16",
    "tiff16",
    "tiff-float",
    "png8",
    "tiff8",
    "jpeg",
)
FRAME_SUFFIXES: tuple[str, ...] = (".npy", ".txt", ".csv", ".png", ".tif", ".tiff", ".jpg", ".jpeg")

_NPY_MAGIC = b"\x93NUMPY"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_JPEG_MAGIC = b"\xff\xd8\xff"
_TEXT_BYTES = frozenset(b"0123456789+-.eE;, \t\r\nnaNAifI")
_NPY_FRAME = NpyContent("fu", (3,), "float °C (H, W), uint16 Y16 (H, W) or uint8 RGB (H, W, 3)")
_NPY_MASK = NpyContent(
    "biuf", (), "a mask (H, W) of bool or numbers 0/1 (or 0/255, as in mask images)"
)


def _sniff(head: bytes) -> str:
    """The container the first bytes announce: npy, png, tiff, jpeg, text or unknown."""
    if head.startswith(_NPY_MAGIC):
        return "npy"
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head.startswith(_TIFF_MAGICS):
        return "tiff"
    if head.startswith(_JPEG_MAGIC):
        return "jpeg"
    if head and set(head) <= _TEXT_BYTES:
        return "text"
    return "unknown"


def _read_npy(path: Path, data: bytes, limits: ReadLimits) -> tuple[np.ndarray, FrameKind]:
    array = read_npy_bytes(path, data, limits, _NPY_FRAME)
    if array.ndim == 2 and array.dtype == np.uint16:
        return array, "y16"
    if array.ndim == 2 and np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise FrameError(f"{path}: the °C array contains NaN or infinity")
        check_celsius_range(array, path, "the °C array's")
        return array.astype(np.float32, copy=False), "celsius"
    if array.ndim == 3 and array.shape[2] == 3 and array.dtype == np.uint8:
        return array, "rgb"
    raise FrameError(
        f"{path}: .npy holds {array.dtype} {array.shape}; expected {_NPY_FRAME.expected}"
    )


def _check_complete(path: Path, data: bytes, container: str) -> None:
    """Reject truncated PNG/JPEG files, which OpenCV would half-decode with only a warning."""
    if container == "png" and b"IEND" not in data[-16:]:
        raise FrameError(f"{path}: truncated PNG (no IEND chunk at the end of {len(data)} bytes)")
    if container == "jpeg" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise FrameError(f"{path}: truncated JPEG (no end-of-image marker after {len(data)} bytes)")


def _read_tiff_fallback(path: Path) -> np.ndarray | None:
    """tifffile, when installed, reads TIFF compressions OpenCV was not built with."""
    try:
        import tifffile
    except ImportError:
        return None
    try:
        return np.asarray(tifffile.imread(path))
    except Exception as exc:  # tifffile raises many exception types for corrupt files
        raise FrameError(f"{path}: unreadable TIFF: {exc}") from exc


def _decode_image(path: Path, data: bytes, container: str, limits: ReadLimits) -> np.ndarray:
    _check_complete(path, data, container)
    check_image_header(path, data, container, limits)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None and container == "tiff":
        image = _read_tiff_fallback(path)
    if image is None:
        raise FrameError(f"{path}: unreadable {container.upper()} image (corrupt or truncated)")
    return image


def _image_to_pixels(
    path: Path, image: np.ndarray, container: str
) -> tuple[np.ndarray, FrameKind, str]:
    if image.dtype == np.uint16:
        if image.ndim != 2:
            raise FrameError(
                f"{path}: 16-bit image with shape {image.shape}; expected single-channel Lepton Y16 (H, W)"
            )
        return image, "y16", "png16" if container == "png" else "tiff16"
    if np.issubdtype(image.dtype, np.floating) and container == "tiff":
        if image.ndim != 2:
            raise FrameError(f"{path}: float TIFF with shape {image.shape}; expected °C (H, W)")
        if not np.isfinite(image).all():
            raise FrameError(f"{path}: the °C TIFF contains NaN or infinity")
        check_celsius_range(image, path, "the °C TIFF's")
        return image.astype(np.float32), "celsius", "tiff-float"
    if image.dtype != np.uint8:
        raise FrameError(f"{path}: {image.dtype} image; expected 16-bit Y16 or 8-bit pseudo-colour")
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.ndim == 3 and image.shape[2] == 3:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        raise FrameError(
            f"{path}: 8-bit image with shape {image.shape}; expected grey, RGB or RGBA"
        )
    fmt = {"png": "png8", "jpeg": "jpeg", "tiff": "tiff8"}[container]
    return rgb, "rgb", fmt


def _read_bytes(path: Path, limits: ReadLimits) -> tuple[bytes, float]:
    """The file's bytes and its modification time."""
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            size = stat.st_size
            check_file_size(path, size, limits)
            # Ask for the size fstat gave (a read allocates what it is asked for: the limit
            # itself would be a large allocation per frame); a file that has grown since is
            # read on, up to one byte over the limit.
            data = fh.read(size + 1)
            if len(data) > size:
                data += fh.read(limits.max_file_bytes + 1 - len(data))
    except FileNotFoundError as exc:
        raise FrameError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise FrameError(f"{path}: is a folder, expected a frame file") from exc
    except OSError as exc:
        raise FrameError(f"{path}: cannot be read: {exc}") from exc
    if not data:
        raise FrameError(f"{path}: the file is empty")
    check_file_size(path, len(data), limits)  # it may have grown since fstat
    return data, stat.st_mtime


def read_frame(
    path: str | Path,
    *,
    sequence: int = 0,
    resolution_k: float = 0.01,
    limits: ReadLimits = DEFAULT_LIMITS,
    timestamp: float | None = None,
    source: str | None = None,
) -> Frame:
    """Read one frame file, choosing the reader by its content.

    ``resolution_k`` is the Kelvin per count of 16-bit Y16 files (0.01: centikelvin, the
    default; 0.1: decikelvin). The frame's timestamp is ``timestamp``, or else the file's
    modification time; its source is ``source``, or else the path. Sizes are checked against
    ``limits`` from the header, before decoding.
    """
    path = Path(path)
    data, mtime = _read_bytes(path, limits)
    container = _sniff(data.removeprefix(b"\xef\xbb\xbf")[:16])  # a BOM may precede text
    kind: FrameKind
    if container == "npy":
        pixels, kind = _read_npy(path, data, limits)
        fmt = "npy"
    elif container == "text":
        pixels, kind, fmt = parse_temperature_matrix(path, data, limits), "celsius", "dmr-txt"
    elif container in ("png", "tiff", "jpeg"):
        pixels, kind, fmt = _image_to_pixels(
            path, _decode_image(path, data, container, limits), container
        )
    else:
        raise FrameError(
            f"{path}: unrecognised content (starts {data[:8]!r}); expected .npy, a DMR-IR text "
            "matrix, PNG, TIFF or JPEG"
        )
    if kind == "y16":
        median_c = float(np.median(pixels)) * resolution_k - 273.15
        if median_c < -100.0:
            log.warning(
                "%s: Y16 median reads %.1f °C at %g K/count; decikelvin file? pass resolution_k=0.1",
                path,
                median_c,
                resolution_k,
            )
    metadata: dict[str, Any] = {"path": str(path), "format": fmt}
    return Frame(
        pixels=pixels,
        kind=kind,
        timestamp=mtime if timestamp is None else timestamp,
        sequence=sequence,
        source=str(path) if source is None else source,
        metadata=metadata,
        resolution_k=resolution_k,
    )


def _npy_mask_values(path: Path, array: np.ndarray) -> np.ndarray:
    """Refuse a .npy mask that is not 0/1 (or 0/255): fractions or labels are not a mask."""
    values = np.unique(array)  # NaN stays NaN and is refused with the rest
    if not (np.isin(values, (0, 1)).all() or np.isin(values, (0, 255)).all()):
        shown = ", ".join(str(v) for v in values[:5]) + (", ..." if values.size > 5 else "")
        raise FrameError(
            f"{path}: .npy mask holds {array.dtype} values {shown}; expected {_NPY_MASK.expected}"
        )
    return array


def read_mask(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> npt.NDArray[np.uint8]:
    """A mask file (PNG/TIFF/JPEG or .npy) as uint8 (H, W) of 0/1: any non-zero pixel is 1.

    For colour masks a pixel is 1 when any colour channel is non-zero (alpha is ignored).
    A ``.npy`` mask must be 2-D bool or numbers holding only 0/1 (or only 0/255): fractions,
    labels or NaN are refused rather than guessed at.
    """
    path = Path(path)
    data, _ = _read_bytes(path, limits)
    container = _sniff(data[:16])
    if container == "npy":
        array = _npy_mask_values(path, read_npy_bytes(path, data, limits, _NPY_MASK))
    elif container in ("png", "tiff", "jpeg"):
        array = _decode_image(path, data, container, limits)
    else:
        raise FrameError(
            f"{path}: unrecognised mask content (starts {data[:8]!r}); expected PNG/TIFF/.npy"
        )
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = np.asarray(array[:, :, :3].any(axis=2))
    if array.ndim != 2:
        raise FrameError(f"{path}: mask has shape {array.shape}; expected (H, W) or a colour image")
    if min(array.shape) < 1:
        raise FrameError(f"{path}: mask is empty ({array.shape})")
    return (array != 0).astype(np.uint8)


def write_mask_png(path: str | Path, mask: np.ndarray) -> Path:
    """Write a 0/1 (or boolean, or 0/255) (H, W) mask as an 8-bit PNG of 0/255; returns the path.
    Written whole or not at all; :class:`OutputError` when it cannot be (see :func:`write_png`)."""
    path = Path(path)
    mask = np.asarray(mask)
    if mask.ndim != 2 or min(mask.shape) < 1:
        raise FrameError(f"{path}: cannot write mask of shape {mask.shape}; expected (H, W)")
    return write_png(path, np.where(mask != 0, 255, 0).astype(np.uint8))


def list_frame_files(folder: str | Path) -> list[Path]:
    """The frame files directly in ``folder`` (by suffix, not recursive), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameError(f"{folder}: not a folder")
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES),
        key=lambda p: p.name,
    )
