"""The decision ceiling: truth masks through the device's ΔT decision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.phantom import write_dataset
from training.ceiling import decision_ceiling, main

PRE = PreprocessConfig(crop="roi", span="body", encoding="delta")


def test_every_abnormal_frame_is_either_flagged_or_missed_with_a_reason(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path / "d", 10, 3, view="closeup")
    row = decision_ceiling(tmp_path / "d", PRE, AnalysisConfig())
    abnormal = sum(1 for lab in labels if lab.stage != "normal")
    assert row["abnormal_frames"] == abnormal > 0
    assert row["flagged"] + sum(row["missed_because"].values()) == abnormal
    assert row["sensitivity"] == row["flagged"] / abnormal


def test_a_lesion_mirrored_onto_the_other_breast_is_missed_as_symmetric(tmp_path: Path) -> None:
    src = tmp_path / "src"
    labels = write_dataset(src, 10, 3, view="closeup")
    sick = next(lab for lab in labels if lab.stage != "normal")
    sym = tmp_path / "sym"
    (sym / "masks").mkdir(parents=True)
    celsius = np.load(src / f"{sick.subject}.npy")
    # Both halves carry the warmer of each mirrored pixel pair: the lesion's mirror site is
    # exactly as warm as the lesion, so no contralateral ΔT rule can count it.
    np.save(sym / f"{sick.subject}.npy", np.maximum(celsius, celsius[:, ::-1]))
    shutil.copy(src / "masks" / f"{sick.subject}.png", sym / "masks" / f"{sick.subject}.png")
    (sym / "labels.jsonl").write_text(
        json.dumps({**sick.to_dict(), "file": f"{sick.subject}.npy"}) + "\n"
    )
    row = decision_ceiling(sym, PRE, AnalysisConfig(local_excess_c=None))  # contralateral only
    assert (row["abnormal_frames"], row["flagged"]) == (1, 0)
    assert list(row["missed_because"]) == ["symmetric: ΔT below the focal and diffuse thresholds"]


def test_the_command_prints_each_set_and_writes_json(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    write_dataset(tmp_path / "d", 5, 3)
    out = tmp_path / "c.json"
    assert main(["--data", f"a={tmp_path / 'd'}", "--json", str(out)]) == 0
    assert "a: " in capsys.readouterr().out
    assert set(json.loads(out.read_text())) == {"a"}
