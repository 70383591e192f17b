from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli.main import main


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--count", "6", "--seed", "3", "--out", str(out)]) == 0
    return out


def test_synth_writes_frames_masks_and_labels(synth: Path) -> None:
    frames = sorted(synth.glob("*.npy"))
    assert len(frames) == 6
    labels = [json.loads(line) for line in (synth / "labels.jsonl").read_text().splitlines()]
    assert [label["file"] for label in labels] == [f.name for f in frames]
    for frame in frames:
        assert (synth / "masks" / f"{frame.stem}.png").exists()
        assert (synth / "breast" / f"{frame.stem}.png").exists()


def test_segment_writes_masks_at_the_inputs_own_resolution(synth: Path, tmp_path: Path) -> None:
    frames = sorted(synth.glob("*.npy"))
    assert (
        main(["segment", "--segmenter", "codebook", "--out", str(tmp_path), *map(str, frames)]) == 0
    )
    for frame in frames:
        mask = cv2.imread(str(tmp_path / f"{frame.stem}_mask.png"), cv2.IMREAD_UNCHANGED)
        assert mask.shape == np.load(frame).shape
        assert set(np.unique(mask)) <= {0, 255}
        overlay = cv2.imread(str(tmp_path / f"{frame.stem}_overlay.png"))
        assert overlay.shape == (*mask.shape, 3)
    lines = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [Path(line["file"]).name for line in lines] == [f.name for f in frames]
    for line in lines:
        assert line["segmenter"] == "codebook"
        assert line["grade"] in {"none", "initial", "middle", "advanced"}
        assert line["abnormal"] == (line["grade"] != "none")
        for region in line["regions"]:
            assert {
                "bbox",
                "area_px",
                "area_pct",
                "centroid",
                "max_c",
                "mean_c",
                "delta_t_c",
            } <= set(region)


def test_segment_skips_a_corrupt_file_names_it_and_exits_non_zero(
    synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.npy"
    bad.write_bytes(np.load(next(synth.glob("*.npy"))).tobytes()[:100])
    good = next(synth.glob("*.npy"))
    out = tmp_path / "out"
    assert main(["segment", "--out", str(out), str(bad), str(good)]) == 3
    assert "broken.npy" in capsys.readouterr().err
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert "error" in lines[0] and "grade" in lines[1]


def test_evaluate_prints_and_writes_the_metrics(
    synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--segmenter", "codebook", "--out", str(tmp_path), str(synth)]) == 0
    report = json.loads((tmp_path / "evaluation.json").read_text())
    for key in ("dice", "iou", "precision", "recall", "sensitivity", "specificity", "fps"):
        assert key in report
    assert report["frames"] == 6
    # each abnormal frame binned by how visible its best lesion is (ADR 0016)
    abnormal = report["images"]["tp"] + report["images"]["fn"]
    assert abnormal > 0
    assert sum(b["frames"] for b in report["visibility"]["bins"].values()) == abnormal
    assert "Dice" in (tmp_path / "evaluation.md").read_text()
    assert "Dice" in capsys.readouterr().out


def test_evaluate_names_a_missing_mask(
    synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    frame = next(synth.glob("*.npy"))
    (folder / frame.name).write_bytes(frame.read_bytes())
    assert main(["evaluate", "--out", str(tmp_path / "o"), str(folder)]) == 1
    assert f"{frame.stem}.png" in capsys.readouterr().err


def test_set_overrides_reach_the_segmenter_config(synth: Path, tmp_path: Path) -> None:
    args = ["evaluate", "--set", "seeds_in_red_cluster=true", "--set", "grow_tolerance=16"]
    assert main([*args, "--out", str(tmp_path), str(synth)]) == 0


def test_an_unknown_segmenter_key_is_named(synth: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--set", "grow_tolernce=16", str(synth)]) == 1
    assert "grow_tolernce" in capsys.readouterr().err


def test_threads_takes_a_number_or_auto_and_names_anything_else(
    synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = str(sorted(synth.glob("*.npy"))[0])
    for threads in ("1", "auto"):
        out = tmp_path / threads
        assert (
            main(
                ["segment", "--segmenter", "tflite", "--threads", threads, "--out", str(out), frame]
            )
            == 0
        )
    with pytest.raises(SystemExit) as exc:
        main(["segment", "--segmenter", "tflite", "--threads", "many", frame])
    assert exc.value.code == 2
    assert "'many': expected a number of threads or 'auto'" in capsys.readouterr().err
