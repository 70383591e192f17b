"""A Raspberry Pi camera through picamera2 (for pseudo-colour thermal add-ons or tests on a Pi).

These frames are NOT radiometric: they are RGB renderings, so no temperature can be read from
them and the analysis works on colours only. picamera2 exists only on Raspberry Pi OS; it is
imported when the source starts, and a missing one raises :class:`MissingExtraError`.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.core.frame import Frame
from edge.errors import FrameError, MissingExtraError, SourceError
from edge.sources.base import FrameSource

__all__ = ["Picamera2Config", "Picamera2Source"]

log = logging.getLogger(__name__)


class Picamera2Config(BaseModel):
    """A libcamera camera on a Raspberry Pi (non-radiometric RGB)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["picamera2"] = "picamera2"
    camera: int = Field(0, ge=0, description="libcamera camera index")
    width: int = Field(640, ge=16, le=4608, description="frame width in pixels")
    height: int = Field(480, ge=16, le=3496, description="frame height in pixels")


class Picamera2Source(FrameSource):
    """RGB frames from picamera2's ``capture_array``."""

    type = "picamera2"
    config_class = Picamera2Config

    def __init__(self, config: Picamera2Config) -> None:
        self.config = config
        self._cam: Any = None
        self._sequence = 0

    def start(self) -> None:
        try:
            module = importlib.import_module("picamera2")
        except ImportError as exc:
            raise MissingExtraError(
                "picamera2", "pi", "the picamera2 source runs on Raspberry Pi OS only"
            ) from exc
        cfg = self.config
        try:
            cam = module.Picamera2(cfg.camera)
            # "RGB888" is stored B, G, R in memory (libcamera naming); read() flips it to RGB.
            cam.configure(
                cam.create_video_configuration(
                    main={"size": (cfg.width, cfg.height), "format": "RGB888"}
                )
            )
            cam.start()
        except Exception as exc:  # libcamera raises RuntimeError/IndexError for absent cameras
            raise SourceError(f"picamera2: cannot open camera {cfg.camera}: {exc}") from exc
        self._cam = cam
        log.warning(
            "picamera2: frames are pseudo-colour RGB, not radiometric: no temperatures are read"
        )

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._cam is None:
            raise SourceError("picamera2: read() before start() or after stop()")
        try:
            bgr = self._cam.capture_array("main")
        except Exception as exc:
            raise SourceError(f"picamera2: capture failed: {exc}") from exc
        arr = np.asarray(bgr)
        if arr.ndim != 3 or arr.shape[2] < 3 or arr.dtype != np.uint8:
            raise FrameError(f"picamera2: expected uint8 (H, W, 3), got {arr.dtype} {arr.shape}")
        self._sequence += 1
        return Frame(
            pixels=np.ascontiguousarray(arr[:, :, 2::-1]),
            kind="rgb",
            timestamp=time.time(),
            sequence=self._sequence,
            source=f"picamera2:{self.config.camera}",
        )

    def stop(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            finally:
                self._cam = None
