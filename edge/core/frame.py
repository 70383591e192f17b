"""The :class:`Frame` value: pixels together with what they mean and where they came from.

Pixel arrays are typed by meaning:

* ``celsius``: float32 (H, W), degrees Celsius (radiometric).
* ``y16``: uint16 (H, W), raw Lepton counts; in TLinear mode centikelvin (or decikelvin).
* ``rgb``: uint8 (H, W, 3), a pseudo-colour rendering (not radiometric).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from edge.errors import FrameError

__all__ = ["Frame", "FrameKind", "celsius_to_y16", "y16_to_celsius"]

FrameKind = Literal["celsius", "y16", "rgb"]

KELVIN_OFFSET = 273.15


def y16_to_celsius(
    raw: npt.NDArray[np.uint16], resolution_k: float = 0.01
) -> npt.NDArray[np.float32]:
    """Lepton TLinear counts to °C: ``T = raw * resolution_k - 273.15``.

    ``resolution_k`` is 0.01 K (centikelvin, the default TLinear mode) or 0.1 K.
    """
    return (raw.astype(np.float32) * np.float32(resolution_k) - np.float32(KELVIN_OFFSET)).astype(
        np.float32
    )


def celsius_to_y16(
    celsius: npt.NDArray[np.floating[Any]], resolution_k: float = 0.01
) -> npt.NDArray[np.uint16]:
    """°C to Lepton TLinear counts (rounded, clipped to the uint16 range)."""
    raw = np.rint((celsius.astype(np.float64) + KELVIN_OFFSET) / resolution_k)
    return np.clip(raw, 0, 65535).astype(np.uint16)


@dataclass(frozen=True)
class Frame:
    """One thermal frame with its metadata.

    ``metadata`` holds anything the source knows (telemetry, file path, subject id);
    ``resolution_k`` is only meaningful for ``y16`` frames.
    """

    pixels: np.ndarray
    kind: FrameKind
    timestamp: float = field(default_factory=time.time)
    sequence: int = 0
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    resolution_k: float = 0.01

    def __post_init__(self) -> None:
        p = self.pixels
        where = f" from {self.source}" if self.source else ""
        if not isinstance(p, np.ndarray):
            raise FrameError(f"frame{where}: pixels must be a numpy array, got {type(p).__name__}")
        if self.kind == "celsius":
            if p.ndim != 2 or p.dtype != np.float32:
                raise FrameError(
                    f"frame{where}: a celsius frame must be float32 (H, W), got {p.dtype} {p.shape}"
                )
            if not np.isfinite(p).all():
                raise FrameError(f"frame{where}: celsius pixels contain NaN or infinity")
        elif self.kind == "y16":
            if p.ndim != 2 or p.dtype != np.uint16:
                raise FrameError(
                    f"frame{where}: a y16 frame must be uint16 (H, W), got {p.dtype} {p.shape}"
                )
        elif self.kind == "rgb":
            if p.ndim != 3 or p.shape[2] != 3 or p.dtype != np.uint8:
                raise FrameError(
                    f"frame{where}: an rgb frame must be uint8 (H, W, 3), got {p.dtype} {p.shape}"
                )
        else:
            raise FrameError(
                f"frame{where}: unknown kind {self.kind!r}; expected celsius, y16 or rgb"
            )
        if min(p.shape[:2]) < 8:
            raise FrameError(f"frame{where}: {p.shape[1]}x{p.shape[0]} is too small (min 8x8)")

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the frame."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    @property
    def radiometric(self) -> bool:
        """True when temperatures can be read from the pixels."""
        return self.kind in ("celsius", "y16")

    def celsius(self) -> npt.NDArray[np.float32] | None:
        """Temperatures in °C, or None for a pseudo-colour frame."""
        if self.kind == "celsius":
            return self.pixels
        if self.kind == "y16":
            return y16_to_celsius(self.pixels, self.resolution_k)
        return None
