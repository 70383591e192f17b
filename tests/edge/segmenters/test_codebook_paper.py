"""The codebook's ``paper`` variant: each of section 6.1's steps on hand-made images."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.cli.main import main
from edge.errors import FrameError
from edge.io.overlay import CLUSTER_RGB, render_clusters
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.codebook.edgeflow import (
    close_boundaries,
    connect_boundaries,
    edge_flow_boundaries,
    edge_flow_field,
    final_merge,
    propagate_edge_flow,
    split_regions,
)
from edge.segmenters.codebook.paper import (
    BLUE,
    GREEN,
    NONE,
    RED,
    block_code_vectors,
    check_input,
    grow_from_seeds,
    name_codes,
    pairwise_highest,
    sigma_seeds,
    supervoxel_grid,
)

R, G, B = (255, 0, 0), (0, 210, 0), (0, 0, 160)  # inside the paper's red, green, blue boxes
PAPER = CodebookConfig(variant="paper")
BOXES = (PAPER.red, PAPER.green, PAPER.blue)


def body_image() -> np.ndarray:
    """Blue room, a green body over the middle, a red 20×20 square in block (1, 0)/(1, 1)."""
    image = np.empty((128, 128, 3), dtype=np.uint8)
    image[:] = B
    image[16:112, 16:112] = G
    image[40:60, 30:50] = R
    return image


def test_paper_variant_runs_every_step_in_order_on_a_hand_made_image() -> None:
    image = body_image()
    steps = CodebookSegmenter(PAPER).paper_steps(image)
    # 1 input is kept; 2 blocks: 16 tiles of 32×32; 3 one super-voxel per block at its centre.
    np.testing.assert_array_equal(steps.image, image)
    assert steps.tiles.shape == (16, 32, 32, 3)
    assert steps.grid.n_blocks == 16 and tuple(steps.grid.centres[5]) == (48, 48)
    # 4 each block's code vector is its highest-intensity colour: green wins over blue
    # (210 > 160), red wins in the blocks it touches (255 > 210); no block is all blue.
    vec = {tuple(int(c) for c in v) for v in steps.code_vectors}
    assert vec == {G, R}
    assert tuple(steps.code_vectors[4]) == R and tuple(steps.code_vectors[0]) == G
    # 5 LBG: at most 3 codes (2 here: the initial code vectors hold only two colours), one
    # of them the red square's colour within half a histogram bin.
    assert len(steps.codebook.codes) == 2
    assert np.abs(steps.codebook.codes - np.array(R)).max(axis=1).min() <= 8
    # 6 Sigma: one seed per block, red where the block holds red, else green.
    assert steps.seeds.shape == (16, 2)
    assert list(steps.seed_classes) == [GREEN] * 4 + [RED, RED] + [GREEN] * 10
    assert tuple(steps.seeds[4]) == (40, 30)
    # 7 the red code is named red, and the square's pixels are nearest it.
    assert RED in steps.code_names
    assert (steps.code_map[40:60, 30:50] == RED).all()
    # 8 growth from the seeds: the square is red, the body green, the unseeded room nothing.
    assert (steps.grown[40:60, 30:50] == RED).all()
    assert steps.grown[20, 100] == GREEN and steps.grown[2, 2] == NONE
    # 9 one red region, one green region (the body around the square).
    assert list(steps.region_class[1:]) == [GREEN, RED]
    # 10 edge flow puts boundaries on the square's and the body's outlines, none in flat areas.
    assert steps.raw_boundaries[70:100, 60:100].sum() == 0
    assert steps.raw_boundaries[38:62, 28:52].sum() > 40
    # 11-12 the boundaries are connected and the final labels keep the square exactly.
    assert steps.rounds >= 1
    np.testing.assert_array_equal(steps.labels == RED, _square())


def _square() -> np.ndarray:
    m = np.zeros((128, 128), dtype=bool)
    m[40:60, 30:50] = True
    return m


def test_paper_variant_mask_is_the_red_cluster_of_its_label_image() -> None:
    seg = CodebookSegmenter(PAPER)
    labels = seg.segment_labels(body_image())
    np.testing.assert_array_equal(seg.segment(body_image()), (labels == RED).astype(np.uint8))
    assert seg.describe()["variant"] == "paper"


def test_paper_variant_of_a_normal_image_has_no_red_cluster() -> None:
    image = body_image()
    image[40:60, 30:50] = G
    assert not (CodebookSegmenter(PAPER).segment_labels(image) == RED).any()


def test_tuned_labels_name_green_and_blue_boxes_and_mark_the_mask_red() -> None:
    seg = CodebookSegmenter(CodebookConfig())
    labels = seg.segment_labels(body_image())
    assert labels[2, 2] == BLUE and labels[20, 100] == GREEN
    np.testing.assert_array_equal(labels == RED, seg.segment(body_image()) > 0)


def test_input_that_is_not_rgb_uint8_is_rejected_naming_what_was_expected() -> None:
    with pytest.raises(FrameError, match="RGB uint8"):
        check_input(np.zeros((128, 128), np.float32))
    with pytest.raises(FrameError, match=r"multiples of codebook\.block_size"):
        supervoxel_grid((120, 128), 32)


def test_pairwise_highest_is_the_first_maximum_also_for_odd_lengths() -> None:
    v = np.array([[3, 7, 7, 1, 7], [0, 0, 0, 0, 9]], dtype=np.int64)
    np.testing.assert_array_equal(pairwise_highest(v, axis=1), [1, 4])


def test_block_code_vector_is_the_brightest_pixel_found_row_then_column_wise() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    image[5, 9] = (10, 10, 10)
    image[20, 3] = (200, 0, 0)
    pos, vec = block_code_vectors(image, 32)
    assert tuple(pos[0]) == (20, 3) and tuple(vec[0]) == (200, 0, 0)


def test_name_codes_leaves_a_code_outside_every_box_unnamed() -> None:
    codes = np.array([R, G, B, (255, 255, 255)], dtype=np.float32)
    assert list(name_codes(codes, BOXES)) == [RED, GREEN, BLUE, NONE]


def test_sigma_gives_no_seed_to_a_block_where_every_condition_is_disabled() -> None:
    image = np.full((32, 64, 3), 255, np.uint8)  # white: in no box
    image[10, 40] = B
    _, classes = sigma_seeds(image, 32, BOXES)
    assert list(classes) == [NONE, BLUE]


def test_growth_follows_only_pixels_of_the_seed_cluster() -> None:
    image = body_image()
    seeds = np.array([[45, 35]])
    code_map = np.zeros((128, 128), np.uint8)
    grown = grow_from_seeds(image, seeds, np.array([RED], np.uint8), code_map, BOXES)
    np.testing.assert_array_equal(grown == RED, _square())


def test_edge_flows_meet_on_a_vertical_step_and_nowhere_else() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    image[:, 16:] = (0, 0, 200)
    fy, fx = propagate_edge_flow(*edge_flow_field(image, 1.0), 20)
    edges = edge_flow_boundaries(fy, fx, 40.0)
    cols = np.unique(np.nonzero(edges)[1])
    assert set(cols) <= {14, 15, 16} and edges[4:28].any(axis=1).all()


def test_an_open_boundary_end_is_joined_to_the_nearest_other_boundary() -> None:
    b = np.zeros((20, 20), np.uint8)
    b[5, 2:8] = 1
    b[5, 11:18] = 1  # a gap of 3 px
    joined, joins = connect_boundaries(b, radius=6)
    assert joins >= 1 and joined[5, 2:18].all()
    far, joins = connect_boundaries(b, radius=2)
    assert joins == 0 and not far[5, 9]


def test_connection_repeats_until_no_end_can_join() -> None:
    b = np.zeros((20, 40), np.uint8)
    for x0 in (2, 10, 18, 26):
        b[5, x0 : x0 + 5] = 1
    closed, rounds = close_boundaries(b, radius=4, rounds=10)
    assert closed[5, 2:31].all() and 2 <= rounds <= 10


def test_final_merge_joins_a_cluster_cut_by_a_boundary_and_drops_specks() -> None:
    image = np.zeros((20, 20, 3), np.uint8)
    image[:] = R
    clusters = np.zeros((20, 20), np.uint8)
    clusters[2:18, 2:18] = RED
    clusters[0, 19] = GREEN  # one-pixel speck
    boundaries = np.zeros((20, 20), np.uint8)
    boundaries[:, 10] = 1
    _, classes = split_regions(clusters, boundaries)
    assert list(classes[1:]) == [GREEN, RED, RED]
    labels = final_merge(clusters, image, boundaries, gap=2, min_area=4)
    assert (labels[2:18, 2:18] == RED).all() and labels[0, 19] == NONE


def test_segment_cli_with_the_paper_variant_writes_masks_clusters_and_overlays(
    tmp_path: Path,
) -> None:
    frames = tmp_path / "frames"
    assert main(["synth", "--count", "2", "--seed", "3", "--out", str(frames)]) == 0
    out = tmp_path / "out"
    files = sorted(frames.glob("*.npy"))
    args = ["segment", "--segmenter", "codebook", "--set", "variant=paper", "--out", str(out)]
    assert main([*args, *map(str, files)]) == 0
    for frame in files:
        shape = np.load(frame).shape
        mask = cv2.imread(str(out / f"{frame.stem}_mask.png"), cv2.IMREAD_UNCHANGED)
        clusters = cv2.imread(str(out / f"{frame.stem}_clusters.png"))[..., ::-1]
        assert mask.shape == shape and clusters.shape == (*shape, 3)
        assert (out / f"{frame.stem}_overlay.png").exists()
        colours = {tuple(int(v) for v in c) for c in np.unique(clusters.reshape(-1, 3), axis=0)}
        assert colours <= set(CLUSTER_RGB)
        # The mask is the red cluster (both at the frame's resolution, nearest neighbour).
        np.testing.assert_array_equal(mask > 0, (clusters == (255, 0, 0)).all(axis=2))
    line = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert line["variant"] == "paper"


def test_render_clusters_paints_the_paper_colours_and_rejects_other_labels() -> None:
    labels = np.array([[NONE, BLUE], [GREEN, RED]], dtype=np.uint8)
    rgb = render_clusters(labels)
    assert [tuple(int(v) for v in rgb[i, j]) for i in (0, 1) for j in (0, 1)] == list(CLUSTER_RGB)
    with pytest.raises(FrameError, match=r"0\.\.3"):
        render_clusters(np.full((2, 2), 4, np.uint8))
