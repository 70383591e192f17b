"""The vectorised mirror-midline search gives exactly the answers of a column-by-column loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from edge.core.imaging import find_midline
from edge.phantom import generate


def loop_midline(body: npt.NDArray[Any], search_frac: float = 0.25) -> float:
    """The straightforward search: one candidate axis s / 2 at a time (the original code)."""
    b = np.asarray(body) > 0
    w = b.shape[1]
    profile = b.sum(axis=0).astype(np.float64)
    total = profile.sum()
    if total == 0:
        return (w - 1) / 2.0
    cx = float((profile * np.arange(w)).sum() / total)
    cols = np.flatnonzero(profile)
    reach = search_frac * (cols[-1] - cols[0] + 1)
    best: tuple[float, float, float] | None = None
    for s in range(
        max(int(np.floor(2 * (cx - reach))), 0),
        min(int(np.ceil(2 * (cx + reach))), 2 * (w - 1)) + 1,
    ):
        lo, hi = max(0, s - (w - 1)), min(w - 1, s)
        a = profile[lo : hi + 1]
        mirrored = profile[s - hi : s - lo + 1][::-1]
        outside = total - a.sum()
        score = (float(np.abs(a - mirrored).sum()) + outside) / total
        key = (score, abs(s / 2.0 - cx), s / 2.0)
        if best is None or key < best:
            best = key
    return cx if best is None else best[2]


def phantom_bodies() -> list[npt.NDArray[np.bool_]]:
    """Bodies of several phantoms at several thresholds, some shifted against an image edge."""
    bodies = []
    for index in range(6):
        celsius = generate(7, index).celsius
        for threshold in (26.0, 30.0, 32.0):
            body = celsius > threshold
            bodies.append(body)
            bodies.append(np.roll(body, 25 * (index - 3), axis=1))  # wraps: lopsided profiles
        bodies.append(generate(7, index).breast > 0)
    return bodies


@pytest.mark.parametrize("search_frac", [0.0, 0.1, 0.25, 1.0])
def test_vectorised_mirror_search_matches_the_loop_on_phantom_bodies(search_frac: float) -> None:
    for body in phantom_bodies():
        assert find_midline(body, "mirror", search_frac) == loop_midline(body, search_frac)


def test_ties_go_to_the_axis_nearest_the_centre_of_mass_like_the_loop() -> None:
    body = np.zeros((10, 40), dtype=bool)
    body[:, 10:14] = True  # two equal blocks: several axes score alike
    body[:, 26:30] = True
    body[:5, 5] = True
    assert find_midline(body) == loop_midline(body)
    assert find_midline(np.ones((4, 9), dtype=bool)) == 4.0


def test_a_single_column_body_is_its_own_mirror_axis() -> None:
    body = np.zeros((6, 12), dtype=bool)
    body[:, 0] = True
    assert find_midline(body) == loop_midline(body) == 0.0


@pytest.mark.parametrize("width", [5_000, 200_000])
def test_a_very_wide_body_gets_its_mirror_axis_by_the_coarse_to_fine_search(width: int) -> None:
    # Past the exact search's budget the axis is searched coarse to fine (linear in width).
    body = np.zeros((8, width), dtype=bool)
    centre, half = int(width * 0.47), int(width * 0.3)
    body[:, centre - half : centre + half] = True
    body[2:4, centre - half - width // 100 : centre - half] = True  # a lopsided arm
    body[2:4, centre + half : centre + half + width // 100] = True
    assert find_midline(body) == centre - 0.5
