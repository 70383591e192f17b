"""run_fuzz's memory bound: a check that takes too much, at once or input by input, fails the run;
what generating the inputs takes (Hypothesis's own tables, built once a process) does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from tests.fuzz_targets import FUZZ, MEMORY_LIMIT_BYTES, Outcome, Target, run_fuzz

OVER = MEMORY_LIMIT_BYTES + 16 * 2**20
FEW = settings(FUZZ, max_examples=5)


def test_a_check_that_allocates_past_the_limit_fails_the_run(tmp_path: Path) -> None:
    def greedy(_value: int, _work: Path) -> Outcome:
        block = bytearray(OVER)
        return "accepted" if block is not None else "refused"

    with pytest.raises(AssertionError, match="greedy: traced peak"):
        run_fuzz(Target("greedy", st.integers(), greedy), tmp_path, FEW)


def test_a_check_that_keeps_a_little_of_every_input_fails_the_run(tmp_path: Path) -> None:
    kept: list[bytearray] = []
    each = 4 * 2**20  # no single check comes near the limit; 20 of them pass it

    def leaky(_value: int, _work: Path) -> Outcome:
        kept.append(bytearray(each))
        return "accepted"

    with pytest.raises(AssertionError, match="leaky: traced peak"):
        run_fuzz(Target("leaky", st.integers(), leaky), tmp_path, settings(FUZZ, max_examples=40))
    assert len(kept) * each > MEMORY_LIMIT_BYTES


@st.composite
def _after_a_large_table(draw: st.DrawFn) -> int:
    # Like Hypothesis's first text draw without its disk cache: a table of every code point,
    # built and freed while the input is generated, before the check sees it.
    table = bytearray(OVER)
    return draw(st.integers()) + table[0]


def test_what_generating_the_inputs_takes_is_not_counted_against_the_target(
    tmp_path: Path,
) -> None:
    def frugal(_value: int, _work: Path) -> Outcome:
        return "accepted"

    counts = run_fuzz(Target("frugal", _after_a_large_table(), frugal), tmp_path, FEW)
    assert counts["accepted"] == FEW.max_examples
