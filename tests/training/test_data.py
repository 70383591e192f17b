"""Dataset discovery, pairing, subject splits and augmentation (real files, real pipeline)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.core.preprocess import PreprocessConfig
from edge.errors import DatasetError
from edge.io.readers import write_mask_png
from edge.phantom import write_dataset
from training.augment import AugmentConfig, augment
from training.data import discover, load_pairs, make_dataset, split_by_subject


def _disc_frame(cx: int, cy: int, r: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """°C frame: 30 °C background with one 36 °C disc; the mask is the disc."""
    mask = np.zeros((120, 160), np.uint8)
    cv2.circle(mask, (cx, cy), r, 1, -1)
    celsius = np.where(mask > 0, 36.0, 30.0).astype(np.float32)
    return celsius, mask


def _generic(root: Path, frames: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for stem, (celsius, mask) in frames.items():
        np.save(root / "images" / f"{stem}.npy", celsius)
        write_mask_png(root / "masks" / f"{stem}.png", mask)
    return root


def test_image_without_mask_raises_dataset_error_naming_the_image(tmp_path: Path) -> None:
    root = _generic(tmp_path / "d", {"a": _disc_frame(40, 40)})
    np.save(root / "images" / "orphan.npy", _disc_frame(60, 60)[0])
    with pytest.raises(DatasetError, match=r"orphan\.npy: no mask"):
        discover(root)


def test_mask_of_other_size_raises_dataset_error_naming_both_files(tmp_path: Path) -> None:
    root = _generic(tmp_path / "d", {"a": _disc_frame(40, 40)})
    write_mask_png(root / "masks" / "a.png", np.zeros((60, 80), np.uint8))
    _, samples = discover(root)
    with pytest.raises(
        DatasetError, match=r"a\.png: mask is 80x60 but its image .*a\.npy is 160x120"
    ):
        load_pairs(samples)


def test_empty_folder_raises_dataset_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="empty folder"):
        discover(tmp_path / "empty")


def test_images_folder_without_masks_folder_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "d" / "images").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no masks/ folder"):
        discover(tmp_path / "d")


def test_unknown_layout_is_rejected_listing_the_expected_ones(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.md").write_text("hello")
    with pytest.raises(DatasetError, match=r"unknown layout.*images/ \+ masks/"):
        discover(tmp_path / "d")


def test_dmr_matrices_pair_with_masks_and_group_by_stem_prefix(tmp_path: Path) -> None:
    root = tmp_path / "dmr"
    (root / "masks").mkdir(parents=True)
    for stem in ("p01_front", "p01_left", "p02_front"):
        celsius, mask = _disc_frame(50, 50)
        np.savetxt(root / f"{stem}.txt", celsius, fmt="%.2f")
        write_mask_png(root / "masks" / f"{stem}.png", mask)
    layout, samples = discover(root, separator="_")
    assert layout == "dmr"
    assert sorted(s.subject for s in samples) == ["p01", "p01", "p02"]
    pair = load_pairs(samples[:1])[0]
    assert pair.pixels.dtype == np.float32 and pair.mask.shape == pair.pixels.shape


def test_synthetic_folder_is_read_with_its_subjects_and_stages(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path / "s", 6, 5)
    layout, samples = discover(tmp_path / "s")
    assert layout == "synthetic"
    assert [s.subject for s in samples] == [lab.subject for lab in labels]
    assert [s.stage for s in samples] == [lab.stage for lab in labels]


def test_split_by_subject_never_puts_a_subject_on_both_sides(tmp_path: Path) -> None:
    frames = {f"s{s}_{k}": _disc_frame(30 + 10 * k, 40) for s in range(7) for k in range(3)}
    _, samples = discover(_generic(tmp_path / "d", frames), separator="_")
    for seed in range(5):
        train, val = split_by_subject(samples, 0.3, seed)
        train_subjects = {s.subject for s in train}
        val_subjects = {s.subject for s in val}
        assert not train_subjects & val_subjects
        assert train_subjects | val_subjects == {f"s{s}" for s in range(7)}
        assert len(train) + len(val) == len(samples)


def test_split_needs_two_subjects(tmp_path: Path) -> None:
    frames = {f"only_{k}": _disc_frame(40, 40) for k in range(3)}
    _, samples = discover(_generic(tmp_path / "d", frames), separator="_")
    with pytest.raises(DatasetError, match="need at least 2"):
        split_by_subject(samples, 0.2, 0)


def test_augmentation_moves_the_mask_with_the_image() -> None:
    celsius, mask = _disc_frame(30, 50)
    rng = np.random.default_rng(3)
    cfg = AugmentConfig(flip=1.0, offset_c=0.0, noise_c=0.0)
    image, moved = augment(celsius, mask, rng, cfg)
    assert moved[:, :80].sum() == 0  # the disc was on the left; a flip puts it on the right
    hot = image > 33.0
    iou = (hot & (moved > 0)).sum() / (hot | (moved > 0)).sum()
    assert iou > 0.85


def test_shuffled_stream_keeps_every_mask_with_its_image(tmp_path: Path) -> None:
    # Each frame's only warm disc *is* its mask, at a different place per frame: a mask that
    # travelled with another image would not overlap that image's warm pixels.
    frames = {f"f{i}": _disc_frame(20 + 15 * i, 25 + 8 * i) for i in range(8)}
    _, samples = discover(_generic(tmp_path / "d", frames))
    pairs = load_pairs(samples)
    cfg = PreprocessConfig(palette="gray", size=64)
    aug = AugmentConfig(offset_c=0.5, noise_c=0.05)
    batches = make_dataset(pairs, cfg, batch_size=4, seed=11, augmentation=aug).take(6)
    seen = 0
    for x, y in batches.as_numpy_iterator():
        for rgb, mask in zip(x, y, strict=True):
            hot = rgb[:, :, 0] > 128  # gray palette: 33 °C sits mid-span (28..38 °C)
            truth = mask[:, :, 0] > 0.5
            assert (hot & truth).sum() / max(1, (hot | truth).sum()) > 0.7
            seen += 1
    assert seen == 24


def test_domain_augmentation_off_by_default_draws_the_same_frames_as_before() -> None:
    # The new knobs at 0 draw nothing: the generator is left exactly where the original
    # augmentation (flip, rotation, shift, offset, noise) leaves it, so old runs reproduce.
    celsius, mask = _disc_frame(60, 50)
    rng = np.random.default_rng(7)
    augment(celsius, mask, rng, AugmentConfig())
    replay = np.random.default_rng(7)
    replay.random()  # flip
    replay.uniform(-8.0, 8.0)  # rotation
    replay.uniform(-0.05, 0.05)  # shift x
    replay.uniform(-0.05, 0.05)  # shift y
    replay.uniform(-1.0, 1.0)  # offset
    replay.normal(0.0, 0.05, size=celsius.shape)  # noise
    assert rng.random() == replay.random()
    # ...while each domain knob does draw (so the check above can fail).
    for knob in ("scale", "aspect", "gradient_c", "texture_c"):
        moved = np.random.default_rng(7)
        augment(celsius, mask, moved, AugmentConfig(**{knob: 0.1}))
        assert moved.random() != np.random.default_rng(7).random(), knob


def test_gradient_and_texture_are_additive_so_the_lesion_truth_rule_still_holds() -> None:
    # Same draws for a frame with and without its lesion: the difference (what the lesion adds)
    # is unchanged, so the ≥ 0.5 °C truth is the same mask.
    celsius, mask = _disc_frame(70, 60)
    healthy = np.full_like(celsius, 30.0)
    cfg = AugmentConfig(flip=0.0, shift=0.0, rotate_deg=0.0, offset_c=0.0, noise_c=0.0,
                        gradient_c=2.0, texture_c=0.5)  # fmt: skip
    sick_aug, moved = augment(celsius, mask, np.random.default_rng(5), cfg)
    healthy_aug, _ = augment(healthy, mask, np.random.default_rng(5), cfg)
    assert np.array_equal(moved, mask)
    assert np.allclose(sick_aug - healthy_aug, celsius - healthy, atol=1e-4)
    assert np.array_equal((sick_aug - healthy_aug) >= 0.5, mask > 0)
    field = healthy_aug - healthy
    assert 0.05 < float(field.std()) < 1.5  # something was added, of the size asked for


def test_texture_has_the_drawn_standard_deviation_and_zero_mean() -> None:
    from training.augment import _texture

    tex = _texture(np.random.default_rng(1), 120, 160, 0.3)
    assert tex.dtype == np.float32 and tex.shape == (120, 160)
    assert abs(float(tex.mean())) < 1e-4
    assert abs(float(tex.std()) - 0.3) < 1e-3


def test_scale_and_aspect_warp_the_mask_with_the_image() -> None:
    celsius, mask = _disc_frame(80, 60, r=12)
    cfg = AugmentConfig(flip=0.0, shift=0.0, rotate_deg=0.0, offset_c=0.0, noise_c=0.0,
                        scale=0.3, aspect=0.3)  # fmt: skip
    areas = []
    for seed in range(6):
        image, moved = augment(celsius, mask, np.random.default_rng(seed), cfg)
        hot = image > 33.0
        assert (hot & (moved > 0)).sum() / (hot | (moved > 0)).sum() > 0.85
        areas.append(int(moved.sum()))
    assert max(areas) > 1.2 * min(areas)  # the disc really changes size between draws


def test_fit_cli_refuses_an_unknown_augmentation_field_naming_it() -> None:
    from edge.errors import ConfigError
    from training.cli import _validated

    with pytest.raises(ConfigError, match=r"--augment: .*texture"):
        _validated("augment", AugmentConfig, ["texture=0.3"])
    assert _validated("augment", AugmentConfig, ["texture_c=0.3"]).texture_c == 0.3
