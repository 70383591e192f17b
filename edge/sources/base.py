"""What every frame source provides (picamera2/flirpy style).

``start()`` opens the device or file list, ``read()`` returns the next :class:`~edge.core.frame.Frame`
(or ``None`` when a finite source is exhausted), ``stop()`` closes it. ``close()`` is ``stop()``
and is safe to call twice; sources are context managers.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, ClassVar

from pydantic import BaseModel

from edge.core.frame import Frame

__all__ = ["FrameSource"]


class FrameSource(ABC):
    """A camera, a replayed folder or a synthetic generator of frames."""

    type: ClassVar[str]
    config_class: ClassVar[builtins.type[BaseModel]]

    @abstractmethod
    def start(self) -> None:
        """Open the device or file list. Raises :class:`~edge.errors.SourceError` if it cannot."""

    @abstractmethod
    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame; ``None`` when a finite source has no more frames.

        Raises :class:`~edge.errors.SourceError` when the device stalls or disappears and
        :class:`~edge.errors.FrameError` for one bad frame (the caller counts and skips it).
        """

    @abstractmethod
    def stop(self) -> None:
        """Release the device; safe to call twice and before ``start()``."""

    def close(self) -> None:
        """Same as :meth:`stop`."""
        self.stop()

    def state(self) -> dict[str, Any]:
        """What the stats topic reports about this source (connected, reopen count, ...)."""
        return {"type": self.type}

    def __enter__(self) -> FrameSource:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
