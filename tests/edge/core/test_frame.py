from __future__ import annotations

import numpy as np
import pytest

from edge.core.frame import Frame, celsius_to_y16, y16_to_celsius
from edge.errors import FrameError


def test_y16_centikelvin_converts_to_celsius_exactly() -> None:
    raw = np.array([[27315, 30815], [31015, 0]], dtype=np.uint16)
    celsius = y16_to_celsius(raw)
    assert celsius.dtype == np.float32
    np.testing.assert_allclose(celsius, [[0.0, 35.0], [37.0, -273.15]], atol=1e-3)


def test_y16_decikelvin_resolution_is_honoured() -> None:
    raw = np.array([[3081]], dtype=np.uint16)
    assert y16_to_celsius(raw, resolution_k=0.1)[0, 0] == pytest.approx(34.95, abs=1e-3)


def test_celsius_round_trips_through_y16_within_a_centikelvin() -> None:
    celsius = np.linspace(20, 40, 64, dtype=np.float32).reshape(8, 8)
    back = y16_to_celsius(celsius_to_y16(celsius))
    np.testing.assert_allclose(back, celsius, atol=0.006)


def test_y16_frame_reports_celsius_and_is_radiometric() -> None:
    frame = Frame(np.full((120, 160), 30815, np.uint16), "y16")
    assert frame.radiometric and frame.shape == (120, 160)
    assert frame.celsius()[0, 0] == pytest.approx(35.0, abs=1e-3)


def test_rgb_frame_is_not_radiometric() -> None:
    frame = Frame(np.zeros((16, 16, 3), np.uint8), "rgb")
    assert not frame.radiometric and frame.celsius() is None


@pytest.mark.parametrize(
    ("pixels", "kind", "needle"),
    [
        (np.zeros((16, 16), np.float64), "celsius", "float32"),
        (np.zeros((16, 16, 3), np.float32), "celsius", "float32"),
        (np.zeros((16, 16), np.int32), "y16", "uint16"),
        (np.zeros((16, 16), np.uint8), "rgb", r"uint8 \(H, W, 3\)"),
        (np.zeros((4, 4), np.float32), "celsius", "too small"),
        (np.full((16, 16), np.nan, np.float32), "celsius", "NaN"),
    ],
)
def test_frame_rejects_pixels_that_do_not_match_their_kind(pixels, kind, needle) -> None:
    with pytest.raises(FrameError, match=needle):
        Frame(pixels, kind, source="cam0")


def test_frame_error_names_its_source() -> None:
    with pytest.raises(FrameError, match=r"scan_01\.npy"):
        Frame(np.zeros((16, 16), np.float64), "celsius", source="scan_01.npy")
