"""The fuzz bench runs end to end at smoke size and accounts for every input it tried."""

from __future__ import annotations

import re

import pytest

from bench import bench_fuzz


def test_fuzz_bench_finds_nothing_in_the_parsers_the_suite_fuzzes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    targets = "dmr_text,manifest,config,alert_sinks,readers"
    assert bench_fuzz.main(["--quick", "--only", targets, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "fuzz seed 1" in out and "FINDING" not in out
    for name in targets.split(","):
        assert re.search(rf"\|\s*{name}\s*\|\s*{bench_fuzz.QUICK_N}\s*\|", out), name


def test_fuzz_bench_reader_inputs_are_accepted_or_refused_never_unexpected() -> None:
    result = bench_fuzz.run(quick=True, only=["readers"], run_seed=3)
    r = result["targets"]["readers"]
    assert r["tried"] == bench_fuzz.QUICK_N
    assert r["accepted"] + r["refused"] == r["tried"] and r["refused"] > 0
    assert r["unexpected"] == 0, r["findings"]


def test_fuzz_bench_refuses_an_unknown_target() -> None:
    with pytest.raises(SystemExit, match="unknown fuzz target"):
        bench_fuzz.run(quick=True, only=["nope"])
