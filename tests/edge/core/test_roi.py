"""The breast ROI on hand-made layouts whose anatomy is known."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core.roi import RoiConfig, find_roi

ROOM, SKIN = 22.0, 32.0


def closeup(h: int = 120, w: int = 160, x0: int = 20, x1: int = 140) -> np.ndarray:
    """A chest filling the frame's height between columns x0..x1-1."""
    field = np.full((h, w), ROOM, dtype=np.float32)
    field[:, x0:x1] = SKIN
    return field


def wide(h: int = 480, w: int = 640) -> np.ndarray:
    """Head and neck (narrow) above shoulders and a chest running off the frame's bottom."""
    field = np.full((h, w), ROOM, dtype=np.float32)
    field[0:80, 280:360] = SKIN  # neck, 80 px wide
    field[80:h, 170:470] = SKIN  # chest, 300 px wide
    return field


def test_a_closeup_roi_is_centred_on_the_body_midline_and_inside_the_body() -> None:
    roi = find_roi(closeup())
    assert roi.view == "closeup"
    assert roi.midline_x == pytest.approx(79.5)
    assert roi.chest_width_px == pytest.approx(120)
    assert not (roi.mask > 0)[~roi.body].any()
    ys, xs = np.nonzero(roi.mask)
    assert xs.min() >= 20 and xs.max() <= 139
    assert ys.min() == round(0.25 * 120)  # band_closeup starts a quarter down the torso


def test_an_off_centre_body_moves_the_roi_and_a_symmetric_crop_box_with_it() -> None:
    roi = find_roi(closeup(x0=50, x1=150))
    assert roi.midline_x == pytest.approx(99.5)
    x0, _, x1, _ = roi.box
    assert (x0 + x1 - 1) / 2 == pytest.approx(roi.midline_x, abs=0.5)
    assert x1 <= 160


def test_a_wide_view_is_recognised_by_its_neck_and_excludes_neck_and_shoulders() -> None:
    field = wide()
    roi = find_roi(field)
    assert roi.view == "wide"
    assert roi.midline_x == pytest.approx(319.5)
    assert roi.chest_width_px == pytest.approx(300)
    ys, _ = np.nonzero(roi.mask)
    torso_h = 480
    assert ys.min() == round(0.38 * torso_h) and ys.max() < round(0.95 * torso_h)
    assert not roi.mask[:80].any()


def test_the_crop_box_covers_the_roi_with_a_margin() -> None:
    roi = find_roi(wide())
    x0, y0, x1, y1 = roi.box
    ys, xs = np.nonzero(roi.mask)
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
    assert y0 < ys.min()  # the margin


def test_frame_method_gives_the_whole_frame_and_a_flat_scene_is_all_body() -> None:
    roi = find_roi(closeup(), RoiConfig(method="frame"))
    assert roi.view == "frame" and roi.mask.all() and roi.box == (0, 0, 160, 120)
    flat = find_roi(np.full((60, 80), 25.0, dtype=np.float32))  # no room to tell body from
    assert flat.body.all() and (flat.box[0], flat.box[2]) == (0, 80)


def test_a_warm_object_in_the_room_is_not_taken_for_the_body() -> None:
    field = closeup()
    field[5:15, 2:10] = 40.0  # a lamp at the frame's edge
    roi = find_roi(field)
    assert roi.midline_x == pytest.approx(79.5) and not roi.mask[5:15, 2:10].any()


def test_an_all_skin_closeup_is_all_body_not_warm_chest_against_cool_breasts() -> None:
    field = np.full((120, 160), 32.0, dtype=np.float32)  # no room in the frame
    yy, xx = np.mgrid[:120, :160]
    for cx in (45, 115):  # breasts 3 °C cooler than the chest
        field[(yy - 70) ** 2 + (xx - cx) ** 2 <= 25**2] = 29.0
    roi = find_roi(field)
    assert roi.body.all()
    breasts = field < 30
    assert (roi.mask[breasts] > 0).mean() > 0.9
