"""The DMR-IR text target: hostile °C matrices against the vectorised parser.

Half the generated matrices are °C in any notation, the others hold values outside °C and bad
cells; raw bytes come too. Each is also read by :func:`reference_matrix`, a plain parser value by
value: the vectorised one must read the same matrix, and refuse exactly what the plain one does.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from edge.errors import FrameError
from edge.io._dmr_text import CELSIUS_RANGE, parse_temperature_matrix
from edge.io.limits import DEFAULT_LIMITS
from tests.fuzz_core import Outcome, Target

__all__ = ["DMR", "check_dmr", "dmr_text", "reference_matrix"]

_NUMBER = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def reference_matrix(data: bytes) -> np.ndarray | None:
    """The °C matrix ``data`` holds, read value by value, or None when it holds no valid one.

    What the module documents: values separated by spaces, tabs or ``;``, rows ending ``\\n``,
    ``\\r\\n`` or ``\\r\\r\\n`` (blank lines and a leading UTF-8 BOM ignored), decimal numbers
    only, a rectangular matrix of finite °C within :data:`CELSIUS_RANGE` and the default limits.
    """
    text = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r", b"\n")
    text = text.replace(b";", b" ").replace(b"\t", b" ")
    rows = [[t for t in line.split(b" ") if t] for line in text.split(b"\n")]
    rows = [row for row in rows if row]
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        return None
    if not all(_NUMBER.fullmatch(t) for row in rows for t in row):
        return None
    h, w, lim = len(rows), len(rows[0]), DEFAULT_LIMITS
    if max(h, w) > lim.max_side or h * w > lim.max_pixels or max(h, w) > lim.max_aspect * min(h, w):
        return None
    matrix = np.array([[float(t) for t in row] for row in rows], dtype=np.float64)
    lo, hi = CELSIUS_RANGE
    if not all(math.isfinite(v) and lo <= v <= hi for v in matrix.flat):
        return None
    return matrix.astype(np.float32)


_BAD_CELLS = [b"nan", b"inf", b"-", b"1e309", b"0x1F", b"1,5", b"\xd9\xa3", b"", b"1e", b"\x0c"]


@st.composite
def dmr_text(draw: st.DrawFn) -> bytes:
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    sep = draw(st.sampled_from([b" ", b";", b"\t", b"  ", b"; "]))
    end = draw(st.sampled_from([b"\n", b"\r\n", b"\r\r\n"]))
    formats = st.sampled_from(["{:.3f}", "{:.0f}", "{!r}", "{:e}", "{:+.1f}"])
    celsius = st.tuples(formats, st.floats(*CELSIUS_RANGE)).map(lambda f: f[0].format(f[1]))
    # Half the matrices are °C in any notation, the others also hold values outside °C and bad
    # cells.
    cell = (
        celsius.map(str.encode)
        if draw(st.booleans())
        else st.one_of(
            st.floats(-70, 210).map(lambda v: f"{v:.3f}".encode()), st.sampled_from(_BAD_CELLS)
        )
    )
    lines = [sep.join(draw(st.lists(cell, min_size=cols, max_size=cols))) for _ in range(rows)]
    tail = draw(st.sampled_from([b"", sep, end, b"\xef\xbb\xbf"]))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + end.join(lines) + tail


def check_dmr(data: bytes, _work: Path) -> Outcome:
    """The vectorised parser reads what a plain one reads, and refuses what it refuses."""
    expected = reference_matrix(data)
    try:
        m = parse_temperature_matrix(Path("fuzz.txt"), data)
    except FrameError:
        assert expected is None, f"refused a valid {expected.shape} matrix"
        return "refused"
    assert expected is not None, f"accepted {m.shape}, which a plain parser refuses"
    assert m.dtype.name == "float32" and np.array_equal(m, expected)
    return "accepted"


DMR = Target("dmr_text", st.one_of(dmr_text(), st.binary(max_size=2048)), check_dmr)
