"""The rules every phantom family shares: sizes, views, the truth threshold, the stage mix.

Kept apart from :mod:`edge.phantom.generator` so that family modules can import them without
importing the registry that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, get_args

import numpy as np
import numpy.typing as npt

from edge.errors import ConfigError
from edge.phantom.types import Stage, View

__all__ = [
    "ABNORMAL_EXCESS_C",
    "FPN_SIGMA_C",
    "NETD_SIGMA_C",
    "RESOLUTIONS",
    "STAGES",
    "STAGE_CODE",
    "VIEWS",
    "check_ids",
    "check_request",
    "one_or_two_lesions",
    "stage_for",
    "truth_mask",
]

RESOLUTIONS: dict[str, tuple[int, int]] = {"lepton": (120, 160), "dmr": (480, 640)}
VIEWS: tuple[str, ...] = get_args(View)
ABNORMAL_EXCESS_C = 0.5
NETD_SIGMA_C = 0.05  # Lepton NETD ~50 mK
FPN_SIGMA_C = 0.03  # per-column fixed-pattern offsets

STAGES: tuple[str, ...] = get_args(Stage)
STAGE_CODE = {name: i for i, name in enumerate(STAGES)}
# Each block of five consecutive indices holds exactly this mix, shuffled per block.
_STAGE_BLOCK: tuple[Stage, ...] = ("normal", "normal", "initial", "middle", "advanced")
_STREAM_STAGE = 10


def check_ids(seed: int, index: int) -> None:
    """Raise :class:`ConfigError` unless ``seed`` and ``index`` are non-negative integers."""
    for name, value in (("seed", seed), ("index", index)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ConfigError(f"phantom {name}={value!r}: expected a non-negative integer")


def stage_for(seed: int, index: int) -> Stage:
    """The default stage mix: 40% normal, 20% each other stage (exact per block of five)."""
    check_ids(seed, index)
    rng = np.random.default_rng([seed, index // len(_STAGE_BLOCK), _STREAM_STAGE])
    order = rng.permutation(len(_STAGE_BLOCK))
    return _STAGE_BLOCK[int(order[index % len(_STAGE_BLOCK)])]


def check_request(seed: int, index: int, stage: Stage | None, resolution: str, view: str) -> Stage:
    """Validate one phantom request; return its stage (the default mix when ``None``)."""
    check_ids(seed, index)
    if resolution not in RESOLUTIONS:
        raise ConfigError(
            f"phantom resolution={resolution!r}: expected one of {', '.join(RESOLUTIONS)}"
        )
    if view not in VIEWS:
        raise ConfigError(f"phantom view={view!r}: expected one of {', '.join(VIEWS)}")
    stage = stage_for(seed, index) if stage is None else stage
    if stage not in STAGE_CODE:
        raise ConfigError(f"phantom stage={stage!r}: expected one of {', '.join(STAGES)}")
    return stage


def truth_mask(
    without: npt.NDArray[np.float32], with_lesions: npt.NDArray[np.float32]
) -> npt.NDArray[np.uint8]:
    """The shared ground-truth rule: 1 where the lesions raise the noise-free temperature by at
    least :data:`ABNORMAL_EXCESS_C` over the same subject rendered without them (°C, float32)."""
    return ((with_lesions - without) >= np.float32(ABNORMAL_EXCESS_C)).astype(np.uint8)


L = TypeVar("L")


def one_or_two_lesions(
    rng: np.random.Generator, stage: str, one: Callable[[np.random.Generator, str, int], L]
) -> list[L]:
    """No lesion for ``normal``; one on a random side (0 or 1), or for ``advanced`` mostly one
    in each breast (families c and d). ``one(rng, stage, side)`` draws a lesion; the draws come
    in the order side, first lesion, the 0.6 chance, second lesion."""
    if stage == "normal":
        return []
    side = int(rng.integers(0, 2))
    specs = [one(rng, stage, side)]
    if stage == "advanced" and rng.random() < 0.6:
        specs.append(one(rng, stage, 1 - side))
    return specs
