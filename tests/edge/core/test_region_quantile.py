"""The analysis's own quantile gives numpy's ``np.quantile`` bits (the peak ΔT of a region)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.core._delta_t import region_mean, region_quantile


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_region_quantile_equals_numpy_quantile_bit_for_bit(dtype: type, q: float) -> None:
    rng = np.random.default_rng(int(q * 100))
    for n in [1, 2, 3, 4, 5, 9, 10, 11, 57, 300, 1001]:
        for _ in range(40):
            values = (rng.normal(size=n) * rng.uniform(0.01, 5.0)).astype(dtype)
            assert region_quantile(values, q) == float(np.quantile(values, q)), (n, q)


def test_region_quantile_leaves_its_input_alone() -> None:
    values = np.array([3.0, 1.0, 2.0, 0.5], dtype=np.float32)
    region_quantile(values, 0.9)
    assert values.tolist() == [3.0, 1.0, 2.0, 0.5]


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_region_mean_equals_numpy_mean_bit_for_bit(dtype: type) -> None:
    rng = np.random.default_rng(5)
    for n in [1, 2, 3, 7, 64, 129, 1000, 5000]:
        for _ in range(30):
            values = rng.normal(30.0, 5.0, n) if dtype is np.float32 else rng.random(n) < 0.4
            values = values.astype(dtype)
            assert region_mean(values) == float(values.mean()), (n, dtype)
