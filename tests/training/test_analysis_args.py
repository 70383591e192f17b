"""``--analysis KEY=VALUE`` on the suite and the ceiling: settings reach the decision."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from edge.phantom import write_dataset
from training import ceiling, suite
from training._analysis_args import parse_setting


def test_values_are_read_as_json_and_a_bare_word_as_a_string() -> None:
    assert parse_setting("local_excess_c=1.0") == ("local_excess_c", 1.0)
    assert parse_setting("baseline_excess_c=null") == ("baseline_excess_c", None)
    assert parse_setting("mirror_reference=max") == ("mirror_reference", "max")
    with pytest.raises(argparse.ArgumentTypeError, match="KEY=VALUE"):
        parse_setting("local_excess_c")


def test_the_suite_records_the_settings_it_ran_with(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", 4, 5)
    out = tmp_path / "suite.md"
    rc = suite.main([
        "--data", f"a={tmp_path / 'a'}", "--codebook", "--out", str(out),
        "--analysis", "local_excess_c=1.0", "--analysis", "local_ring_frac=0.03",
    ])  # fmt: skip
    assert rc == 0
    analysis = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["analysis"]
    assert (analysis["local_excess_c"], analysis["local_ring_frac"]) == (1.0, 0.03)
    assert analysis["decision"] == "delta_t"


def test_the_ceiling_decides_with_the_settings_given(tmp_path: Path) -> None:
    write_dataset(tmp_path / "d", 8, 3)
    out = tmp_path / "c.json"
    # Every truth region counts under the paper's reading: the ceiling is then 1.
    assert ceiling.main(["--data", f"a={tmp_path / 'd'}", "--json", str(out),
                         "--analysis", "decision=regions"]) == 0  # fmt: skip
    row = json.loads(out.read_text())["a"]
    assert row["abnormal_frames"] > 0 and row["sensitivity"] == 1.0


def test_an_unknown_key_or_a_bad_value_exits_naming_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    for setting, named in (
        ("local_excess=1", "local_excess"),
        ("local_excess_c=-1", "local_excess_c"),
    ):
        with pytest.raises(SystemExit) as exit_:
            ceiling.main(["--data", f"a={tmp_path}", "--analysis", setting])
        assert exit_.value.code == 2 and named in capsys.readouterr().err
