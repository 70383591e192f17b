"""thermoseg-edge evaluate --labels: image-level figures for data labelled healthy/sick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.cli.main import main
from edge.phantom import write_dataset


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("subjects")
    labels = write_dataset(data, 12, seed=21)
    rows = ["file,label"] + [
        f"{lab.subject}.npy,{'healthy' if lab.stage == 'normal' else 'sick'}" for lab in labels
    ]
    csv = data / "subjects.csv"
    csv.write_text("\n".join(rows) + "\n")
    return data, csv


def test_labels_csv_gives_sensitivity_specificity_and_a_roc(
    labelled: tuple[Path, Path], tmp_path: Path
) -> None:
    data, csv = labelled
    rc = main(["evaluate", "--segmenter", "codebook", "--labels", str(csv), str(data),
               "--out", str(tmp_path)])  # fmt: skip
    assert rc == 0
    summary = json.loads((tmp_path / "image_level.json").read_text())
    assert summary["frames"] == 12 and summary["sick"] + summary["healthy"] == 12
    assert 0.0 <= summary["roc"]["auc"] <= 1.0 and summary["roc"]["points"][0]["tpr"] == 0.0
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unreadable_frame_is_skipped_by_name_and_the_rest_counted(
    labelled: tuple[Path, Path], tmp_path: Path
) -> None:
    data, csv = labelled
    (tmp_path / "broken.npy").write_bytes(b"not a numpy file")
    # An absolute path in the CSV is taken as it is.
    rows = [*csv.read_text().splitlines()[:4], f"{tmp_path / 'broken.npy'},sick"]
    bad = tmp_path / "with-broken.csv"
    bad.write_text("\n".join(rows) + "\n")
    rc = main(["evaluate", "--segmenter", "codebook", "--labels", str(bad), str(data),
               "--out", str(tmp_path / "o")])  # fmt: skip
    summary = json.loads((tmp_path / "o" / "image_level.json").read_text())
    assert rc == 3 and summary["frames"] == 3  # 3: some files skipped
    assert [s["file"].endswith("broken.npy") for s in summary["skipped"]] == [True]


def test_an_unknown_label_is_an_error_naming_the_line(
    labelled: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = labelled
    csv = tmp_path / "bad.csv"
    csv.write_text("file,label\nx.npy,maybe\n")
    rc = main(["evaluate", "--labels", str(csv), str(data), "--out", str(tmp_path)])
    assert rc == 1 and "line 2: label 'maybe'" in capsys.readouterr().err
