"""Frame-rate pacing for sources that could deliver faster than a camera (replay, synthetic)."""

from __future__ import annotations

import time

__all__ = ["Pacer"]


class Pacer:
    """Sleeps so that successive :meth:`wait` calls return ``fps`` times a second (0: no limit).

    After a long stall it does not burst to catch up: at most one second of backlog is kept.
    """

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self._next_due = time.monotonic()

    def reset(self) -> None:
        """Start the schedule now (call on ``start()``)."""
        self._next_due = time.monotonic()

    def wait(self) -> None:
        if self.fps <= 0:
            return
        delay = self._next_due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next_due = max(self._next_due, time.monotonic() - 1.0) + 1.0 / self.fps
