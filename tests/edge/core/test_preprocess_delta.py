"""The "delta" encoding's three channels, each rounded and clipped on its own as written plainly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig, model_input, resize_to_model
from edge.phantom import generate


def _plain(small: np.ndarray, lo: float, hi: float, rng: float) -> np.ndarray:
    """Each channel in float32, rounded half to even, clipped to 0..255, one at a time."""
    c = small.astype(np.float32)
    scale = np.float32(127.5 / rng)
    rel = (c - np.float32(lo)) * np.float32(255.0 / (hi - lo))
    mirror = (c - c[:, ::-1]) * scale + np.float32(127.5)
    local = (c - cv2.GaussianBlur(c, (0, 0), sigmaX=c.shape[0] / 16.0)) * scale + np.float32(127.5)
    return np.stack(
        [np.clip(np.rint(ch), 0, 255).astype(np.uint8) for ch in (rel, mirror, local)], 2
    )


CFG = PreprocessConfig(crop="roi", span="body", encoding="delta")


def _assert_plain(celsius: np.ndarray) -> None:
    """The device's delta input of ``celsius`` equals the plain per-channel arithmetic."""
    got = model_input(Frame(pixels=celsius, kind="celsius"), CFG)
    x0, y0, x1, y1 = got.box
    small = resize_to_model(celsius[y0:y1, x0:x1], 128, "auto")
    assert got.baseline_c is not None
    lo, hi = got.baseline_c - CFG.span_below_c, got.baseline_c + CFG.span_above_c
    assert np.array_equal(got.image, _plain(small, lo, hi, CFG.delta_range_c))


@pytest.mark.parametrize("family", ["a", "b", "c", "d"])
@pytest.mark.parametrize("view", ["closeup", "wide"])
def test_the_delta_channels_of_phantom_frames_equal_the_plain_per_channel_arithmetic(
    family: str, view: str
) -> None:
    for i in range(4):
        celsius = generate(9, i, family=family, view=view).celsius
        _assert_plain(celsius)


@pytest.mark.parametrize("spread", [0.01, 1.0, 50.0, 1e6])
def test_delta_values_far_outside_the_range_saturate_like_the_plain_arithmetic(
    spread: float,
) -> None:
    rng = np.random.default_rng(int(spread * 100) % 1000)
    base = rng.normal(33.0, spread, (120, 160))
    base[:, :40] = 20.0  # a room for the body split
    base = np.round(base * 4) / 4  # quarter degrees: exact halves after scaling
    celsius = base.astype(np.float32)
    _assert_plain(celsius)
