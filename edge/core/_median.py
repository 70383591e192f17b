"""``np.median`` of a 1-D array, the same bits, without its generic machinery.

``np.median`` (NaN check, axis handling, ``np.mean`` of the middle pair) costs about as much
as the selection itself on the few thousand pixels of a body or a breast, and a frame takes
several medians. Callers pass finite values (a :class:`~edge.core.frame.Frame` has no NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["median"]


def median(values: npt.NDArray[Any]) -> float:
    """``float(np.median(values))`` for a non-empty 1-D array of finite numbers, bit for bit."""
    n = values.size
    lo, hi = (n - 1) // 2, n // 2
    if lo == hi:
        return float(np.partition(values, lo)[lo])
    part = np.partition(values, (lo, hi))
    if values.dtype.kind != "f":
        # np.median averages integers in float64.
        return float((np.float64(part[lo]) + np.float64(part[hi])) / 2)
    # numpy's mean of the middle pair: summed and divided in the array's own dtype.
    return float((part[lo] + part[hi]) / 2)
