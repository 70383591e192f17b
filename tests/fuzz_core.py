"""What every fuzz target shares: the budget, the memory bound, the run, hostile scalars.

A :class:`Target` pairs a Hypothesis strategy of hostile inputs with a ``check`` that feeds one
input to the real code and returns ``"accepted"`` or ``"refused"``. Refused means the code raised
its documented error (FrameError, ModelError, ConfigError; for the schema validator ValueError);
anything else escapes ``check`` and is a finding. :func:`run_fuzz` feeds a target its inputs.

Inputs are small (a few kB): the suite bounds their number with :data:`FUZZ` and the memory of the
code under test by measuring, with ``tracemalloc``, the peak while a ``check`` runs.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

__all__ = [
    "FLOATS",
    "FUZZ",
    "INTS",
    "JSON",
    "MEMORY_LIMIT_BYTES",
    "MIN_EACH",
    "NASTY",
    "SCALARS",
    "TEXT",
    "Outcome",
    "Target",
    "run_fuzz",
    "workdir",
]

# Reproducible in CI (no example database, no random seed), bounded in time per example.
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MEMORY_LIMIT_BYTES = 64 * 2**20  # traced peak allowed while one target's checks run
# Each target's tests want at least this many of FUZZ's inputs accepted, and as many refused:
# both paths fuzzed, with room for a change of the derandomized inputs.
MIN_EACH = 20

Outcome = str  # "accepted" | "refused"

# Text a spreadsheet or a terminal would act on, mixed into every text strategy.
NASTY = [
    "=HYPERLINK(\"http://x.invalid\")", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1",
    "\r=1", "\x1b[2J\x1b[31m", "a\nFAKE LINE", "\u202e", "\u2028", "\x00", "\ud800", "",
    "dev-1\n", "../x", "~", "nan", "inf", "1e999", "٣", "𝟘",
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.text(st.characters(), max_size=8))
INTS = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64, 10**400])
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _nothing() -> None:
    """A target that keeps nothing open between inputs."""


@dataclass(frozen=True)
class Target:
    """A strategy of inputs, the check one input gets, and what to release after a run."""

    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any, Path], Outcome]
    close: Callable[[], None] = _nothing


@st.composite
def _weighted(draw: st.DrawFn, *branches: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """One of ``branches`` (weight, strategy), as likely as its weight says. ``st.one_of``
    would not do: it flattens nested (also mapped) ones into their parts, each as likely."""
    pick = draw(st.integers(0, sum(weight for weight, _ in branches) - 1))
    for weight, branch in branches:
        if pick < weight:
            return draw(branch)
        pick -= weight
    raise AssertionError("unreachable")


def _mutate_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with a slice replaced by random bytes, or cut short."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = seed
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data)))
            cut = draw(st.integers(0, min(16, len(data) - at)))
            data = data[:at] + draw(st.binary(max_size=16)) + data[at + cut :]
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        return data

    return build()


def workdir() -> Path:
    """A fresh folder for one run's files."""
    return Path(tempfile.mkdtemp(prefix="thermoseg-fuzz-"))


def run_fuzz(target: Target, work: Path, budget: settings = FUZZ) -> Counter[str]:
    """Feed ``target`` its strategy's inputs; a finding fails with the (shrunk) input.

    Returns how many inputs were accepted and refused; AssertionError when the traced memory
    peak while a ``check`` runs exceeds :data:`MEMORY_LIMIT_BYTES`: all that is alive then (what
    the checks keep from input to input adds up) plus the check's own transient allocations.
    Hypothesis's work between checks is not the target's and is left out: the first text draw
    of a process without its disk cache (``.hypothesis/unicode_data``) builds, and frees, a
    table of every Unicode code point, far beyond the limit.
    """
    counts: Counter[str] = Counter()
    peak = 0
    check = target.check

    def measured(value: Any, folder: Path) -> Outcome:
        nonlocal peak
        tracemalloc.reset_peak()
        try:
            return check(value, folder)
        finally:
            peak = max(peak, tracemalloc.get_traced_memory()[1])

    # Hypothesis seeds a derandomized run from the source of ``one``: an edit there changes
    # every target's inputs, so the measurement wraps the check instead.
    target = replace(target, check=measured)

    @budget
    @given(target.strategy)
    def one(value: Any) -> None:
        counts[target.check(value, work)] += 1

    tracemalloc.start()
    try:
        one()
    finally:
        tracemalloc.stop()
        target.close()
    assert peak < MEMORY_LIMIT_BYTES, f"{target.name}: traced peak {peak / 2**20:.0f} MiB"
    return counts
