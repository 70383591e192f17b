"""Replay recorded frame files (a folder or a list) as if they came from a camera.

Files are read by :func:`edge.io.readers.read_frame` (any supported format), at ``fps`` frames per
second (0 = as fast as the pipeline takes them), once or looping. A corrupt file, one of the
wrong size, one whose header declares more than ``limits`` allow, or any other failure to read a
file raises :class:`FrameError` for that frame only: the capture thread counts and skips it,
:meth:`ReplaySource.state` reports the count as ``bad``, and the next read moves on to the next
file.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.core.frame import Frame
from edge.errors import FrameError, SourceError
from edge.io.limits import ReadLimits
from edge.io.readers import list_frame_files, read_frame
from edge.sources._pacing import Pacer
from edge.sources.base import FrameSource

__all__ = ["ReplayConfig", "ReplaySource"]

log = logging.getLogger(__name__)


class ReplayConfig(BaseModel):
    """Frame files played back in name order."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["replay"] = "replay"
    path: Path | None = Field(None, description="a folder of frame files (read in name order)")
    files: list[Path] = Field(default_factory=list, description="explicit frame files, in order")
    fps: float = Field(0.0, ge=0, description="playback rate; 0 = as fast as possible")
    loop: bool = Field(False, description="start again after the last file")
    resolution_k: float = Field(0.01, gt=0, description="kelvin per count of 16-bit Y16 files")
    expect_shape: tuple[int, int] | None = Field(
        None, description="(height, width) every frame must have; unset = the first frame's"
    )
    limits: ReadLimits = Field(
        default_factory=ReadLimits,
        description="largest file and frame accepted, checked from the header before decoding",
    )


class ReplaySource(FrameSource):
    """Reads frame files one by one; never crashes on a bad file."""

    type = "replay"
    config_class = ReplayConfig

    def __init__(self, config: ReplayConfig) -> None:
        self.config = config
        self._files: list[Path] = []
        self._index = 0
        self._sequence = 0
        self._pacer = Pacer(self.config.fps)
        self._shape: tuple[int, int] | None = config.expect_shape
        self.bad = 0
        self._started = False

    def start(self) -> None:
        files = list(self.config.files)
        if self.config.path is not None:
            try:
                files += list_frame_files(self.config.path)
            except FrameError as exc:
                raise SourceError(f"source.path: {exc}") from exc
        if not files:
            where = self.config.path if self.config.path is not None else "source.files"
            raise SourceError(f"replay: no frame files in {where}; expected .npy/.png/.tiff/...")
        self._files = files
        self._started = True
        self._pacer.reset()
        log.info("replay: %d files, fps=%s, loop=%s", len(files), self.config.fps, self.config.loop)

    def read(self, timeout: float | None = None) -> Frame | None:
        if not self._started:
            raise SourceError("replay: read() before start()")
        if self._index >= len(self._files):
            if not self.config.loop:
                return None
            self._index = 0
        path = self._files[self._index]
        self._index += 1
        self._pacer.wait()
        self._sequence += 1
        try:
            frame = read_frame(
                path,
                sequence=self._sequence,
                resolution_k=self.config.resolution_k,
                limits=self.config.limits,
                timestamp=time.time(),
                source=f"replay:{path.name}",
            )
        except FrameError:
            self.bad += 1
            raise
        except Exception as exc:  # any bad file is one bad frame, never the capture thread's end
            self.bad += 1
            raise FrameError(f"{path}: cannot be read: {type(exc).__name__}: {exc}") from exc
        if self._shape is None:
            self._shape = frame.shape
        elif frame.shape != self._shape:
            self.bad += 1
            raise FrameError(
                f"{path}: frame is {frame.shape[1]}x{frame.shape[0]}, expected "
                f"{self._shape[1]}x{self._shape[0]} like the others"
            )
        return frame

    def stop(self) -> None:
        # Nothing is held open between reads; a later start() rescans the folder.
        self._started = False
        self._index = 0

    def state(self) -> dict[str, Any]:
        return {"type": self.type, "files": len(self._files), "bad": self.bad}
