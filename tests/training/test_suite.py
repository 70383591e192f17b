"""The assessment suite: every method through the device's one path, one table, unique galleries."""

from __future__ import annotations

import json
from pathlib import Path

from edge.phantom import write_dataset
from edge.segmenters.tflite import default_model_path
from training.suite import main


def test_suite_writes_one_row_per_method_and_a_distinct_gallery_per_method(
    tmp_path: Path, capsys
) -> None:
    write_dataset(tmp_path / "a", 8, 5)
    write_dataset(tmp_path / "b", 8, 5, family="b")
    out = tmp_path / "suite.md"
    rc = main([
        "--data", f"in-a={tmp_path / 'a'}", "--data", f"out-b={tmp_path / 'b'}",
        "--codebook", "--tflite", str(default_model_path()),
        "--gallery", str(tmp_path / "gallery"), "--out", str(out),
    ])  # fmt: skip
    assert rc == 0
    doc = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    names = [row["method"] for row in doc["rows"]]
    assert names[:2] == ["codebook", "codebook (paper)"] and len(names) == 3
    for row in doc["rows"]:
        for name in ("in-a", "out-b"):
            s = row["sets"][name]
            assert s["frames"] == 8
            assert 0 <= s["flagged_normals"] <= s["normals"] <= 8
            if 0 < s["normals"] < 8:  # both classes: an ROC over the ΔT threshold factor
                assert 0.0 <= s["auc"] <= 1.0
                assert 0.0 <= s["sensitivity_at_specificity_095"] <= 1.0
    table, _, visibility = out.read_text(encoding="utf-8").partition("Lesions by contrast")
    assert table.count("\n| ") == 3 and "out-b: Dice / sens / spec" in table
    assert visibility.count("\n| ") == 4  # its header, then one row per method
    for row in doc["rows"]:  # every abnormal frame and every lesion lands in exactly one bin
        s = row["sets"]["in-a"]
        bins = s["visibility"]["bins"].values()
        assert sum(b["frames"] for b in bins) == s["images"]["tp"] + s["images"]["fn"]
        assert sum(b["flagged"] for b in bins) == s["images"]["tp"]
    # galleries: exactly the strips each method's own cases call for, never shared between methods
    expected = set()
    for row in doc["rows"]:
        slug = {"codebook": "codebook", "codebook (paper)": "codebook-paper"}.get(
            row["method"], default_model_path().stem
        )
        for name in ("in-a", "out-b"):
            s = row["sets"][name]
            if s["flagged_normals"]:
                expected.add(f"{name}-{slug}-false-positives.png")
            if s["images"]["fn"]:
                expected.add(f"{name}-{slug}-misses.png")
    assert {p.name for p in (tmp_path / "gallery").iterdir()} == expected
    assert capsys.readouterr().out.startswith("| Method |")
