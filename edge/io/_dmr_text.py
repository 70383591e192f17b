"""DMR-IR temperature matrices: text of °C parsed without a Python loop per value.

The DMR-IR database stores each frontal thermogram as 480 rows × 640 columns of °C, separated by
spaces or by semicolons (sometimes with a trailing separator), with lines ending ``\\n``,
``\\r\\n`` or ``\\r\\r\\n``. Any rectangular matrix is accepted; rows of unequal length,
non-numeric values and values that cannot be °C raise :class:`~edge.errors.FrameError`.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.errors import FrameError
from edge.io.limits import DEFAULT_LIMITS, ReadLimits, check_dims

__all__ = ["CELSIUS_RANGE", "check_celsius_range", "parse_temperature_matrix"]

log = logging.getLogger(__name__)

# Plausible °C for a body surface or a room; values outside mean Kelvin, raw counts or garbage.
CELSIUS_RANGE = (-60.0, 200.0)
_CONTROL = re.compile(rb"[\x0b\x0c]")


def check_celsius_range(values: np.ndarray, path: Path, what: str) -> None:
    """Raise :class:`FrameError` when ``values`` cannot be °C (e.g. Kelvin or raw counts)."""
    lo, hi = float(values.min()), float(values.max())
    if lo < CELSIUS_RANGE[0] or hi > CELSIUS_RANGE[1]:
        raise FrameError(
            f"{path}: {what} values span {lo:.2f}..{hi:.2f}, which is not °C "
            f"(expected {CELSIUS_RANGE[0]:g}..{CELSIUS_RANGE[1]:g}; Kelvin or raw counts?)"
        )


def _tokens_per_line(text: bytes, path: Path, limits: ReadLimits) -> npt.NDArray[np.intp]:
    """How many values each non-blank line of whitespace-separated ``text`` holds (vectorised).

    Memory is a few bytes per input byte plus one index per value; the line and value counts are
    checked against ``limits`` before those indices are made."""
    breaks = text.count(b"\n")
    # Rows end with at most three breaks (\r\r\n); a few blank lines are tolerated.
    if breaks > 4 * limits.max_side + 16:
        raise FrameError(
            f"{path}: the temperature matrix has {breaks} line breaks; expected at most "
            f"{limits.max_side} rows (ReadLimits.max_side)"
        )
    buf = np.frombuffer(text, dtype=np.uint8)
    newline = buf == 10
    starts = buf != 32
    starts &= ~newline
    starts[1:] &= (buf[:-1] == 32) | newline[:-1]
    values = int(np.count_nonzero(starts))
    if values > limits.max_pixels:
        raise FrameError(
            f"{path}: the temperature matrix holds {values} values; expected at most "
            f"{limits.max_pixels} (ReadLimits.max_pixels)"
        )
    start_at = np.flatnonzero(starts)
    del starts
    line_of = np.searchsorted(np.flatnonzero(newline), start_at, side="right")
    counts = np.bincount(line_of, minlength=breaks + 1)
    return counts[counts > 0]


def parse_temperature_matrix(
    path: Path, data: bytes, limits: ReadLimits = DEFAULT_LIMITS
) -> npt.NDArray[np.float32]:
    """Parse a DMR-IR temperature matrix without a Python loop per value.

    Rows and columns are counted and checked against ``limits`` before any value is parsed."""
    # Whitespace to numpy's parser but not to the counting above: a file of nothing else was
    # read as one value, -1 °C.
    if found := _CONTROL.search(data):
        raise FrameError(
            f"{path}: control character {found[0][0]:#04x} at offset {found.start()} in the "
            "temperature matrix; expected numbers separated by spaces, tabs or semicolons"
        )
    text = data.removeprefix(b"\xef\xbb\xbf")
    text = text.replace(b"\r", b"\n").replace(b";", b" ").replace(b"\t", b" ")
    widths = _tokens_per_line(text, path, limits) if text else np.zeros(0, dtype=np.intp)
    if widths.size == 0:
        raise FrameError(f"{path}: the temperature matrix has no values")
    if (widths != widths[0]).any():
        first_bad = int(np.argmax(widths != widths[0]))
        raise FrameError(
            f"{path}: rows of unequal length ({widths.min()}..{widths.max()} values; row 1 has "
            f"{widths[0]}, row {first_bad + 1} has {widths[first_bad]}); expected a rectangular "
            "matrix of °C (480 x 640 for DMR-IR)"
        )
    check_dims(path, int(widths.size), int(widths[0]), limits, "the temperature matrix")
    rows, cols = int(widths.size), int(widths[0])
    try:
        with warnings.catch_warnings():
            # numpy < 2.3 only warns (and stops early) on unparsable text; make it an error.
            warnings.simplefilter("error", DeprecationWarning)
            values = np.fromstring(text.decode("ascii"), dtype=np.float64, sep=" ")
    except (ValueError, DeprecationWarning, UnicodeDecodeError) as exc:
        raise FrameError(f"{path}: non-numeric value in the temperature matrix: {exc}") from exc
    if values.size != rows * cols:
        raise FrameError(
            f"{path}: non-numeric value in the temperature matrix (parsed {values.size} of "
            f"{rows * cols} values)"
        )
    matrix = values.reshape(rows, cols)
    if not np.isfinite(matrix).all():
        raise FrameError(f"{path}: the temperature matrix contains NaN or infinity")
    check_celsius_range(matrix, path, "the temperature matrix's")
    if matrix.shape != (480, 640):
        log.debug("%s: %dx%d temperature matrix (DMR-IR is 640x480)", path, cols, rows)
    return matrix.astype(np.float32)
