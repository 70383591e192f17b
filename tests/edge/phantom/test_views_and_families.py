"""edge.phantom: the wide clinical view, the family registry and their ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import ConfigError
from edge.io.readers import read_mask
from edge.phantom import (
    ABNORMAL_EXCESS_C,
    FAMILIES,
    generate,
    render_parts,
    subject_id,
    write_dataset,
)

STAGES = ("normal", "initial", "middle", "advanced")


def _body(celsius: np.ndarray) -> np.ndarray:
    """Otsu on the frame's own range, as the real-thermogram facts are measured."""
    lo, hi = float(celsius.min()), float(celsius.max())
    scaled = ((celsius - lo) / (hi - lo) * 255).astype(np.uint8)
    threshold, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return scaled > threshold


def test_wide_view_is_deterministic_and_differs_from_the_closeup() -> None:
    a = generate(3, 4, view="wide")
    b = generate(3, 4, view="wide")
    np.testing.assert_array_equal(a.celsius, b.celsius)
    np.testing.assert_array_equal(a.breast, b.breast)
    assert a.label == b.label
    closeup = generate(3, 4)
    assert not np.array_equal(a.breast, closeup.breast)
    assert (a.label.view, a.label.family) == ("wide", "a")
    assert (closeup.label.view, closeup.label.family) == ("closeup", "a")
    assert a.label.stage == closeup.label.stage


@pytest.mark.parametrize("view", ["closeup", "wide"])
@pytest.mark.parametrize("stage", STAGES[1:])
def test_truth_is_where_lesions_add_half_a_degree_and_lies_in_the_breast_roi(
    view: str, stage: str
) -> None:
    for index in range(3):
        parts = render_parts(40, index, stage=stage, view=view)  # type: ignore[arg-type]
        excess = parts.with_lesions - parts.without_lesions
        np.testing.assert_array_equal(parts.abnormal, excess >= ABNORMAL_EXCESS_C)
        assert parts.abnormal.any()
        # Every pixel a lesion touches at all lies inside the breast ROI truth.
        assert not ((excess > 0) & (parts.breast == 0)).any()
        assert len(parts.label.lesions) >= 1


def test_wide_view_at_dmr_resolution_keeps_the_truth_rule() -> None:
    parts = render_parts(41, 2, stage="initial", resolution="dmr", view="wide")
    assert parts.with_lesions.shape == (480, 640)
    excess = parts.with_lesions - parts.without_lesions
    np.testing.assert_array_equal(parts.abnormal, excess >= ABNORMAL_EXCESS_C)
    assert parts.abnormal.sum() >= 3
    assert not (parts.abnormal & (1 - parts.breast)).any()


def test_normal_wide_views_have_their_hottest_skin_outside_the_breasts() -> None:
    shares, excesses = [], []
    for index in range(8):
        phantom = generate(42, index, stage="normal", view="wide")
        assert not phantom.abnormal.any()
        body = _body(phantom.celsius)
        median = float(np.median(phantom.celsius[body]))
        hot = body & (phantom.celsius >= np.percentile(phantom.celsius[body], 99))
        shares.append(float((hot & (phantom.breast == 0)).sum() / hot.sum()))
        excesses.append(float(np.percentile(phantom.celsius[body], 99)) - median)
    # The warm zones (neck, axillae, sternum, folds) hold the hottest 1 %, not the breasts...
    assert min(shares) > 0.8
    # ...and they are 1.5 °C or more above the body median without any lesion.
    assert min(excesses) > 1.5


def test_wide_view_frames_the_body_like_the_clinical_database() -> None:
    for index in range(6):
        phantom = generate(43, index, view="wide")
        body = _body(phantom.celsius)
        assert 0.5 < body.mean() < 0.9
        # Two breasts, each a separate region, in the lower half of the frame.
        count, _ = cv2.connectedComponents(phantom.breast)
        assert count == 3
        rows = np.nonzero(phantom.breast)[0] / phantom.breast.shape[0]
        assert rows.min() > 0.3 and rows.max() < 0.95
        # The neck reaches the top edge; the breasts sit on skin.
        assert body[0].any()
        assert float(np.median(phantom.celsius[phantom.breast > 0])) > 28.0


def test_unknown_family_or_view_is_a_config_error_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"family='z'.*expected one of a"):
        generate(1, 0, family="z")
    with pytest.raises(ConfigError, match="family='z'"):
        write_dataset(tmp_path, 1, 1, family="z")
    with pytest.raises(ConfigError, match=r"view='side'.*closeup, wide"):
        generate(1, 0, view="side")  # type: ignore[arg-type]
    assert "a" in FAMILIES


def test_subject_ids_stay_historic_for_closeups_and_differ_per_family_and_view() -> None:
    assert generate(7, 3).label.subject == "synth-0007-00003"
    assert generate(7, 3, view="wide").label.subject == "synth-a-wide-0007-00003"
    ids = {subject_id(7, 3, family, view) for family in FAMILIES for view in ("closeup", "wide")}
    assert len(ids) == 2 * len(FAMILIES)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("view", ["closeup", "wide"])
def test_every_registered_family_keeps_the_shared_contract(family: str, view: str) -> None:
    """Registry signature, determinism, label fields, masks inside the ROI, noise-only reseeding."""
    make = FAMILIES[family]
    for index, stage in enumerate(STAGES):
        first = make(12, index, stage, "lepton", view, None)  # type: ignore[arg-type]
        again = make(12, index, stage, "lepton", view, None)  # type: ignore[arg-type]
        np.testing.assert_array_equal(first.celsius, again.celsius)
        assert first.label == again.label
        assert (first.label.family, first.label.view, first.label.stage) == (family, view, stage)
        assert first.celsius.shape == first.abnormal.shape == first.breast.shape == (120, 160)
        assert first.celsius.dtype == np.float32 and first.abnormal.dtype == np.uint8
        assert not (first.abnormal & (1 - first.breast)).any()
        assert first.abnormal.any() == (stage != "normal") == bool(first.label.lesions)
        reseeded = make(12, index, stage, "lepton", view, 5)  # type: ignore[arg-type]
        np.testing.assert_array_equal(reseeded.abnormal, first.abnormal)
        assert reseeded.label == first.label
        assert 0.0 < float(np.abs(reseeded.celsius - first.celsius).mean()) < 0.2


def test_write_dataset_writes_wide_views_with_their_roi_truth(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path, 3, 5, view="wide")
    lines = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [line["view"] for line in lines] == ["wide"] * 3
    assert [line["family"] for line in lines] == ["a"] * 3
    for label in labels:
        phantom = generate(5, label.index, view="wide")
        roi = read_mask(tmp_path / "breast" / f"{label.subject}.png")
        np.testing.assert_array_equal(roi, phantom.breast)
        mask = read_mask(tmp_path / "masks" / f"{label.subject}.png")
        assert not (mask & (1 - roi)).any()


def test_wide_noise_seed_changes_only_the_sensor_noise() -> None:
    first = generate(8, 1, view="wide", noise_seed=1)
    second = generate(8, 1, view="wide", noise_seed=2)
    np.testing.assert_array_equal(first.abnormal, second.abnormal)
    difference = first.celsius - second.celsius
    assert 0.03 < float(difference.std()) < 0.15


def test_synthetic_source_passes_view_and_family_through() -> None:
    from edge.errors import SourceError
    from edge.sources.synthetic import SyntheticConfig, SyntheticSource

    source = SyntheticSource(SyntheticConfig(fps=0, y16=False, view="wide", family="a"))
    source.start()
    frame = source.read()
    assert frame is not None
    assert (frame.metadata["view"], frame.metadata["family"]) == ("wide", "a")
    assert frame.metadata["subject"].startswith("synth-a-wide-")
    with pytest.raises(SourceError, match="family='z'"):
        SyntheticSource(SyntheticConfig(family="z")).start()


def test_synth_command_writes_wide_views(tmp_path: Path) -> None:
    from edge.cli.main import main

    assert (
        main(["synth", "--count", "2", "--seed", "4", "--view", "wide", "--out", str(tmp_path)])
        == 0
    )
    lines = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [line["subject"] for line in lines] == [f"synth-a-wide-0004-{i:05d}" for i in range(2)]
    assert (tmp_path / "breast" / "synth-a-wide-0004-00000.png").is_file()


def test_wide_population_spans_postures_rooms_and_skin_temperatures() -> None:
    from edge.phantom.body import draw_body

    bodies = [draw_body(np.random.default_rng([9, i])) for i in range(300)]
    assert {b.arms_up for b in bodies} == {True, False}
    rooms = [b.bg_c for b in bodies]
    assert 18.0 <= min(rooms) < 20.0 and 25.0 < max(rooms) <= 28.0
    skins = [b.skin_c for b in bodies]
    assert min(skins) < 30.0 and max(skins) > 33.0
    assert any(b.clothing for b in bodies) and any(b.warm_object for b in bodies)
    assert min(b.tilt_deg for b in bodies) < -3.0 < 3.0 < max(b.tilt_deg for b in bodies)


def test_lesion_styles_include_diffuse_ones_near_the_fold_and_the_areola() -> None:
    from edge.phantom.lesions import draw_lesions, restyle

    rng, style = np.random.default_rng(1), np.random.default_rng(2)
    specs = [restyle(s, style) for _ in range(100) for s in draw_lesions(rng, "middle")]
    near_fold = [s for s in specs if s.r0 >= 0.5 and np.sin(s.angle) > 0.29]
    at_areola = [s for s in specs if s.r0 <= 0.2]
    assert len(near_fold) > 0.1 * len(specs) and len(at_areola) > 0.1 * len(specs)
    assert min(s.profile for s in specs) < 0.7 < 0.95 < max(s.profile for s in specs)
