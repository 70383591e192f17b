"""Bounds on what a frame file may declare, checked from its header before anything is decoded.

A small file can declare a huge image (a PNG of 30000×30000 compresses to under 1 MB, a ``.npy``
header can claim 10^10 values): the readers compare the declared size with :class:`ReadLimits`
and refuse it with :class:`~edge.errors.FrameError` instead of allocating. The defaults pass
every thermal camera's frame (Lepton 160×120, DMR-IR 640×480, 1024×768 high-end cameras) with
room to spare.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from edge.errors import FrameError

__all__ = ["DEFAULT_LIMITS", "ReadLimits", "check_dims", "check_file_size"]


class ReadLimits(BaseModel):
    """The largest frame file a reader accepts (declared sizes, checked before decoding)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_pixels: int = Field(
        4_194_304, gt=0, description="most pixels (height × width) a frame may have"
    )
    max_side: int = Field(4096, gt=0, description="most pixels along either side")
    max_aspect: float = Field(
        16.0, ge=1.0, description="longest side / shortest side at most (no long thin strips)"
    )
    max_file_bytes: int = Field(
        48 * 1024 * 1024, gt=0, description="largest frame file read at all, in bytes"
    )


DEFAULT_LIMITS = ReadLimits()


def check_file_size(path: Path, size: int, limits: ReadLimits) -> None:
    """Refuse a file larger than ``limits.max_file_bytes`` before reading it."""
    if size > limits.max_file_bytes:
        raise FrameError(
            f"{path}: file is {size} bytes; expected at most {limits.max_file_bytes} "
            "(ReadLimits.max_file_bytes) for one frame"
        )


def check_dims(path: Path, height: int, width: int, limits: ReadLimits, what: str) -> None:
    """Refuse declared dimensions that are empty, too large or too thin for a frame."""
    if height < 1 or width < 1:
        raise FrameError(
            f"{path}: {what} declares {width}x{height} pixels; expected a non-empty frame"
        )
    if max(height, width) > limits.max_side:
        raise FrameError(
            f"{path}: {what} declares {width}x{height} pixels; expected at most "
            f"{limits.max_side} per side (ReadLimits.max_side)"
        )
    if height * width > limits.max_pixels:
        raise FrameError(
            f"{path}: {what} declares {width}x{height} = {height * width} pixels; expected at most "
            f"{limits.max_pixels} (ReadLimits.max_pixels)"
        )
    if max(height, width) > limits.max_aspect * min(height, width):
        raise FrameError(
            f"{path}: {what} declares {width}x{height} pixels, an aspect of "
            f"{max(height, width) / min(height, width):.0f}:1; expected at most "
            f"{limits.max_aspect:g}:1 (ReadLimits.max_aspect)"
        )
