"""The codebook segmenter and each of its steps, on hand-made images with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.preprocess import colorize
from edge.errors import ConfigError, FrameError
from edge.segmenters.codebook import CodebookConfig, CodebookSegmenter
from edge.segmenters.codebook.lbg import (
    blocks,
    colour_histogram,
    initial_codebook,
    lbg,
    supervoxel_seeds,
)
from edge.segmenters.codebook.regions import (
    RGBBox,
    background_colour,
    body_mask,
    classify_rgb,
    edge_flow,
    grow_regions,
    label_codes,
    merge_regions,
)

RED = (255, 0, 0)
GREEN = (0, 210, 0)  # inside the paper's green box (G 193-225)
BLUE = (0, 0, 160)  # inside the paper's blue box (B 97-220)
CFG = CodebookConfig()
BOXES = (CFG.red, CFG.green, CFG.blue)


def canvas(colour: tuple[int, int, int] = BLUE, size: int = 128) -> np.ndarray:
    image = np.empty((size, size, 3), dtype=np.uint8)
    image[:] = colour
    return image


def body_with_square(square: tuple[slice, slice] = (slice(40, 60), slice(30, 50))) -> np.ndarray:
    image = canvas()
    image[16:112, 16:112] = GREEN
    image[square] = RED
    return image


# --- steps 2-5: blocks, seeds, codebook, LBG ---------------------------------------------


def test_blocks_split_a_128_image_into_16_row_major_tiles() -> None:
    image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    tiles = blocks(image, 32)
    assert tiles.shape == (16, 32, 32, 3)
    np.testing.assert_array_equal(tiles[0], image[:32, :32])
    np.testing.assert_array_equal(tiles[1], image[:32, 32:64])
    np.testing.assert_array_equal(tiles[4], image[32:64, :32])
    np.testing.assert_array_equal(tiles[15], image[96:, 96:])


def test_blocks_of_a_size_that_does_not_divide_raise_frame_error_naming_the_size() -> None:
    with pytest.raises(FrameError, match="100x100"):
        blocks(canvas(size=100), 32)


def test_seed_of_a_half_red_half_blue_block_is_a_colour_that_occurs_in_it() -> None:
    image = canvas()
    image[:32, :16] = RED  # block 0 is half red, half blue; its mean is a purple found nowhere
    positions, colours = supervoxel_seeds(image, 32)
    assert positions.shape == (16, 2) and colours.shape == (16, 3)
    assert tuple(colours[0]) in (RED, BLUE)
    y, x = positions[0]
    assert tuple(image[y, x]) == tuple(colours[0])
    assert all(tuple(c) == BLUE for c in colours[1:])


def test_initial_codebook_holds_one_code_per_uniform_block_in_row_major_order() -> None:
    image = canvas()
    palette = np.arange(16 * 3, dtype=np.uint8).reshape(16, 3) * 5
    for k in range(16):
        y, x = divmod(k, 4)
        image[y * 32 : (y + 1) * 32, x * 32 : (x + 1) * 32] = palette[k]
    codes = initial_codebook(image, 32, 16)
    assert codes.dtype == np.float32
    np.testing.assert_array_equal(codes, palette.astype(np.float32))


def test_initial_codebook_with_more_codes_than_blocks_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="initial_codes = 32"):
        initial_codebook(canvas(), 32, 32)


def test_colour_histogram_counts_every_pixel_and_centres_lie_within_half_a_bin() -> None:
    image = body_with_square()
    hist = colour_histogram(image, 4)
    assert hist.counts.sum() == 128 * 128
    assert len(hist.counts) == 3
    for colour in (RED, GREEN, BLUE):
        assert np.abs(hist.centres - np.array(colour)).max(axis=1).min() <= 8


def test_lbg_on_three_separated_clusters_finds_codes_near_their_means() -> None:
    rng = np.random.default_rng(1)
    means = np.array([[230, 20, 20], [20, 200, 40], [10, 10, 170]], dtype=np.float32)
    samples = np.concatenate([m + rng.uniform(-12, 12, (300, 3)) for m in means]).astype(np.float32)
    initial = samples[rng.choice(len(samples), 16, replace=False)]
    book = lbg(samples, initial, final_codes=3)
    assert book.codes.shape == (3, 3)
    for m in means:
        assert np.linalg.norm(book.codes - m, axis=1).min() < 3.0
    assert sorted(book.counts.tolist()) == [300.0, 300.0, 300.0]


def test_lbg_weights_act_like_repeated_samples() -> None:
    samples = np.array([[0, 0, 0], [100, 0, 0], [0, 200, 0], [0, 200, 10]], dtype=np.float32)
    weights = np.array([3, 1, 2, 2], dtype=np.float32)
    repeated = np.repeat(samples, weights.astype(int), axis=0)
    a = lbg(samples, samples, weights=weights, final_codes=2)
    b = lbg(repeated, samples, final_codes=2)
    np.testing.assert_allclose(np.sort(a.codes, axis=0), np.sort(b.codes, axis=0), atol=1e-4)


def test_lbg_with_fewer_colours_than_codes_returns_only_the_occupied_codes() -> None:
    samples = np.array([[10, 10, 10]] * 5 + [[200, 0, 0]] * 5, dtype=np.float32)
    book = lbg(samples, np.repeat(samples[:1], 16, axis=0), final_codes=3)
    assert len(book.codes) == 1
    np.testing.assert_allclose(book.codes[0], [105, 5, 5])


# --- steps 6-8: thresholds, code names, body ------------------------------------------------


def test_classify_rgb_names_known_colours_with_red_first_where_boxes_overlap() -> None:
    pixels = np.array(
        [[RED, (100, 210, 50), BLUE, (255, 255, 255), (150, 197, 50)]], dtype=np.uint8
    )
    labels = classify_rgb(pixels, BOXES)
    assert labels.tolist() == [[1, 2, 3, 0, 1]]  # (150, 197, 50) is in both red and green


def test_red_box_is_the_jet_band_from_34_8_c_with_the_default_span() -> None:
    celsius = np.array([[34.5, 34.7, 34.9, 36.0, 38.0]], dtype=np.float32)
    labels = classify_rgb(colorize(celsius, "jet", 28.0, 38.0), BOXES)
    assert (labels == 1).tolist() == [[False, False, True, True, True]]


def test_label_codes_uses_the_box_holding_a_code_or_else_the_nearest_box() -> None:
    codes = np.array([[240, 30, 0], [0, 255, 0], [0, 0, 250], [255, 230, 0]], dtype=np.float32)
    # (0,255,0) is 30 above the green box; (0,0,250) is 30 beyond the blue box;
    # (255,230,0) is 30 beyond the red box (G) but 55 and 5 beyond the green one (R, G).
    assert label_codes(codes, BOXES).tolist() == [1, 2, 3, 1]


def test_body_mask_is_the_green_body_on_a_blue_background() -> None:
    body = body_mask(body_with_square(), 40)
    expected = np.zeros((128, 128), dtype=np.uint8)
    expected[16:112, 16:112] = 1
    np.testing.assert_array_equal(body, expected)


def test_background_colour_is_the_room_even_when_the_torso_fills_top_and_bottom_rows() -> None:
    image = canvas()
    image[:, 30:98] = GREEN  # 68 of 128 columns: the torso covers most of the top/bottom rows
    np.testing.assert_array_equal(background_colour(image), BLUE)
    assert body_mask(image, 40)[:, 30:98].all() and not body_mask(image, 40)[:, :30].any()


# --- steps 9-12: edges, growing, merging ---------------------------------------------------


def test_edge_flow_marks_a_colour_step_and_nothing_in_flat_areas() -> None:
    image = canvas(GREEN)
    image[:, 64:] = RED
    edges = edge_flow(image, 60, 180)
    cols = np.flatnonzero(edges.any(axis=0))
    assert set(cols.tolist()) <= {63, 64} and len(cols) >= 1
    assert not edge_flow(canvas(GREEN), 60, 180).any()
    assert not edge_flow(image, 60, 180, roi=(0, 0, 40, 128)).any()


def test_grow_regions_keeps_only_candidate_areas_that_hold_a_seed() -> None:
    candidates = np.zeros((40, 40), dtype=np.uint8)
    candidates[5:10, 5:10] = 1
    candidates[20:30, 20:30] = 1
    seeds = np.zeros_like(candidates)
    seeds[22, 22] = 1
    regions = grow_regions(candidates, seeds)
    assert regions.dtype == np.int32
    assert (regions > 0).sum() == 100 and regions[25, 25] == 1 and regions[7, 7] == 0


def test_boundaries_split_a_grown_strip_into_separate_regions() -> None:
    candidates = np.zeros((20, 40), dtype=np.uint8)
    candidates[5:10, :] = 1
    seeds = np.zeros_like(candidates)
    seeds[7, 2] = seeds[7, 37] = 1
    boundaries = np.zeros_like(candidates)
    boundaries[:, 20] = 1
    regions = grow_regions(candidates, seeds, boundaries)
    assert regions.max() == 2
    assert regions[7, 2] != regions[7, 37] and not regions[:, 20].any()


def test_merge_regions_joins_near_similar_regions_and_drops_small_ones() -> None:
    image = canvas(RED)
    labels = np.zeros((128, 128), dtype=np.int32)
    labels[10:20, 10:20] = 1
    labels[10:20, 21:31] = 2  # one pixel apart, same colour: merged
    labels[60:62, 60:61] = 3  # 2 px alone: dropped
    labels[100:110, 100:110] = 4  # far away: its own region
    merged = merge_regions(labels, image, gap=2, colour_distance=80, min_area=4)
    assert merged.max() == 2
    assert merged[15, 15] == merged[15, 25] != 0
    assert merged[60, 60] == 0 and merged[105, 105] not in (0, merged[15, 15])


def test_merge_regions_keeps_near_regions_apart_when_their_colours_differ() -> None:
    image = canvas(RED)
    image[:, 21:] = (255, 200, 0)
    labels = np.zeros((128, 128), dtype=np.int32)
    labels[10:20, 10:20] = 1
    labels[10:20, 21:31] = 2
    merged = merge_regions(labels, image, gap=2, colour_distance=80, min_area=4)
    assert merged.max() == 2


def test_merging_is_transitive_along_a_chain_of_near_regions() -> None:
    labels = np.zeros((20, 40), dtype=np.int32)
    labels[5:10, 0:5] = 1
    labels[5:10, 7:12] = 2  # 2 px from region 1 and from region 3
    labels[5:10, 14:19] = 3  # 9 px from region 1: joined only through region 2
    merged = merge_regions(labels, canvas(RED, 40)[:20], gap=2, colour_distance=80, min_area=4)
    assert merged.max() == 1 and (merged > 0).sum() == 75


def test_lbg_merge_only_levels_still_end_at_the_cluster_means() -> None:
    rng = np.random.default_rng(2)
    means = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200]], dtype=np.float32)
    samples = np.concatenate([m + rng.uniform(-10, 10, (200, 3)) for m in means]).astype(np.float32)
    initial = samples[rng.choice(len(samples), 16, replace=False)]
    book = lbg(samples, initial, final_codes=3, level_iterations=0)
    for m in means:
        assert np.linalg.norm(book.codes - m, axis=1).min() < 3.0


def test_two_small_close_regions_survive_min_area_together() -> None:
    labels = np.zeros((30, 30), dtype=np.int32)
    labels[5:7, 5:7] = 1  # 4 px
    labels[5:7, 8:10] = 2  # 4 px, one column apart
    merged = merge_regions(labels, canvas(RED, 30), gap=2, colour_distance=80, min_area=6)
    assert (merged > 0).sum() == 8 and merged.max() == 1


# --- the whole segmenter -------------------------------------------------------------------


def test_red_square_on_green_body_on_blue_background_gives_exactly_the_square() -> None:
    mask = CodebookSegmenter(CodebookConfig()).segment(body_with_square())
    expected = np.zeros((128, 128), dtype=np.uint8)
    expected[40:60, 30:50] = 1
    np.testing.assert_array_equal(mask, expected)


def test_red_outside_the_body_is_ignored() -> None:
    image = body_with_square()
    image[2:8, 2:8] = RED  # a warm object in the room, not on the body
    mask = CodebookSegmenter(CodebookConfig()).segment(image)
    assert not mask[:10, :10].any() and mask[40:60, 30:50].all()


def test_specks_below_min_region_area_are_dropped() -> None:
    image = body_with_square((slice(70, 72), slice(70, 71)))
    assert not CodebookSegmenter(CodebookConfig(min_region_area=4)).segment(image).any()
    assert CodebookSegmenter(CodebookConfig(min_region_area=2)).segment(image).sum() == 2


def test_jet_thermogram_mask_is_the_red_temperature_band_inside_the_body() -> None:
    yy, xx = np.mgrid[:128, :128]
    celsius = np.full((128, 128), 22.0, dtype=np.float32)
    body = (xx - 64) ** 2 / 50**2 + (yy - 70) ** 2 / 45**2 < 1
    celsius[body] = 33.0
    spot = 3.0 * np.exp(-((xx - 44) ** 2 + (yy - 70) ** 2) / (2 * 5.0**2))
    celsius = (celsius + spot * body).astype(np.float32)
    image = colorize(celsius, "jet", 28.0, 38.0)
    mask = CodebookSegmenter(CodebookConfig()).segment(image)
    expected = (classify_rgb(image, BOXES) == 1) & body
    np.testing.assert_array_equal(mask, expected.astype(np.uint8))
    assert mask.sum() > 20 and mask[:, 64:].sum() == 0


def _square_with_orange_ring() -> np.ndarray:
    image = body_with_square((slice(36, 64), slice(26, 54)))
    image[40:60, 30:50] = RED  # red core
    image[36:64, 26:54][np.pad(np.zeros((20, 20), bool), 4, constant_values=True)] = (255, 215, 0)
    return image


def test_grow_tolerance_grows_red_into_the_near_red_ring_when_no_edge_stops_it() -> None:
    image = _square_with_orange_ring()  # G 215 is 15 above the red box
    strict = CodebookSegmenter(CodebookConfig()).segment(image)
    grown = CodebookSegmenter(CodebookConfig(grow_tolerance=24, use_edge_flow=False)).segment(image)
    assert strict.sum() == 400
    assert grown.sum() == 28 * 28 and grown[36:64, 26:54].all()


def test_a_strong_edge_flow_boundary_stops_growth() -> None:
    image = _square_with_orange_ring()
    mask = CodebookSegmenter(CodebookConfig(grow_tolerance=24)).segment(image)
    # The red/orange step is a boundary: at most its own pixels join, never the ring beyond.
    assert mask[40:60, 30:50].all()
    assert not mask[36:38, 26:54].any() and not mask[62:64, 26:54].any()


def test_codebook_of_a_three_colour_image_has_red_green_and_blue_codes() -> None:
    seg = CodebookSegmenter(CodebookConfig())
    image = body_with_square((slice(20, 80), slice(20, 80)))
    book = seg.codebook(image)
    assert sorted(label_codes(book.codes, BOXES).tolist()) == [1, 2, 3]


def test_seeds_in_red_cluster_drops_red_that_no_red_code_represents() -> None:
    image = body_with_square((slice(70, 73), slice(70, 73)))  # 9 red px: merged into green
    assert CodebookSegmenter(CodebookConfig()).segment(image).sum() == 9
    literal = CodebookSegmenter(CodebookConfig(seeds_in_red_cluster=True))
    assert not literal.segment(image).any()


def test_segment_rejects_non_rgb_input_and_sizes_not_divisible_into_blocks() -> None:
    seg = CodebookSegmenter(CodebookConfig())
    with pytest.raises(FrameError, match="uint8"):
        seg.segment(np.zeros((128, 128, 3), dtype=np.float32))
    with pytest.raises(FrameError, match="100x100"):
        seg.segment(canvas(size=100))


def test_rgb_box_rejects_reversed_ranges() -> None:
    with pytest.raises(ValueError, match="g = \\(200, 100\\)"):
        RGBBox(g=(200, 100))
    with pytest.raises(ValueError):
        CodebookConfig(unknown_knob=1)  # type: ignore[call-arg]
