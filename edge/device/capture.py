"""The capture thread: reads a :class:`FrameSource` into a bounded queue that drops the OLDEST.

Dropping the oldest frame keeps latency bounded when processing is slower than the camera:
the newest frame is always the next one processed. A bad frame (:class:`FrameError`) is counted
and skipped; a stalled or unplugged camera (:class:`SourceError`) is reported, closed and
reopened with exponential back-off, and the camera state is kept for the stats topic.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.core.frame import Frame
from edge.errors import FrameError, SourceError
from edge.sources.base import FrameSource

__all__ = ["CameraState", "CaptureConfig", "CaptureThread", "DropOldestQueue"]

log = logging.getLogger(__name__)

# "stalled": running, but a read has waited longer than stall_after_s (a hung camera).
CameraState = Literal["running", "stalled", "reconnecting", "stopped"]


class CaptureConfig(BaseModel):
    """Queueing and reconnection settings between the camera and the processing thread."""

    model_config = ConfigDict(extra="forbid")

    queue_size: int = Field(2, ge=1, le=1000, description="frames waiting; the oldest is dropped")
    when_full: Literal["drop_oldest", "block"] = Field(
        "drop_oldest",
        description="drop_oldest: a live camera never waits (latest frame wins); block: the "
        "source waits for the pipeline (offline replay and benchmarks, where no frame may be lost)",
    )
    reopen_initial_s: float = Field(0.5, gt=0, description="first back-off before reopening")
    reopen_max_s: float = Field(30.0, gt=0, description="longest back-off between reopen tries")
    stall_after_s: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="a read waiting longer than this reports the camera as stalled (status, stats)",
    )


class DropOldestQueue:
    """A bounded FIFO (of frames, or what the capture thread made of them) whose ``put`` never
    blocks: when full, the oldest item is dropped.

    With ``block=True`` ``put`` instead waits for room (or for ``close()``), so nothing is lost.
    """

    def __init__(self, maxsize: int, *, block: bool = False) -> None:
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self._block = block
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: Any) -> int:
        """Add ``item``; returns how many old items were dropped to make room (0 or 1)."""
        with self._cond:
            if self._block:
                while len(self._items) >= self._maxsize and not self._closed:
                    self._cond.wait(0.5)
            dropped = 0
            while len(self._items) >= self._maxsize:
                self._items.popleft()
                dropped += 1
            self._items.append(item)
            self._cond.notify()
            return dropped

    def get(self, timeout: float | None = None) -> Any | None:
        """The oldest item, or None after ``timeout`` or once closed and empty."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            if not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()  # a blocked producer may go on
            return item

    def close(self) -> None:
        """No more items will come; wakes the consumer."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


class CaptureThread(threading.Thread):
    """Reads ``source`` until stopped or exhausted, feeding ``queue``.

    ``on_bad`` and ``on_drop`` are called with a count for the stats. The queue is closed when
    the thread ends, so the consumer knows no more frames will come.
    """

    def __init__(
        self,
        source: FrameSource,
        queue: DropOldestQueue,
        cfg: CaptureConfig,
        *,
        on_bad: Callable[[int], None] = lambda n: None,
        on_drop: Callable[[int], None] = lambda n: None,
        prepare: Callable[[Frame], Any] | None = None,
    ) -> None:
        super().__init__(name=f"capture-{source.type}", daemon=True)
        self.source = source
        self.queue = queue
        self.cfg = cfg
        self._on_bad = on_bad
        self._on_drop = on_drop
        # What is queued: the frame itself, or ``prepare(frame)`` (None: skipped, it counted it).
        self._prepare = prepare
        self._stop_event = threading.Event()
        self.state: CameraState = "running"
        self._read_since: float | None = None  # monotonic start of the read in progress
        self._last_frame_at: float | None = None
        self._started_at = time.monotonic()
        self.reopens = 0  # successful reopens since start
        self.last_error: str | None = None
        self.exhausted = False

    def stop(self) -> None:
        """Ask the thread to stop after the current read."""
        self._stop_event.set()

    def camera(self) -> dict[str, Any]:
        """The ``camera`` object of the stats payload."""
        now = time.monotonic()
        state: CameraState = self.state
        since = self._read_since
        if state == "running" and since is not None and now - since > self.cfg.stall_after_s:
            state = "stalled"
        last = self._last_frame_at
        camera: dict[str, Any] = {
            "type": self.source.type,
            "state": state,
            "reopens": self.reopens,
            "last_frame_age_s": round(now - (self._started_at if last is None else last), 3),
        }
        calibration = self.source.state().get("calibration")
        if calibration:  # the Lepton's FFC, gain and TLinear state from its telemetry
            camera["calibration"] = calibration
        return camera

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # never let the capture thread die silently
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("capture: unexpected error; capture stopped")
        finally:
            self.state = "stopped"
            try:
                self.source.stop()
            except Exception:  # the queue must still close, or the worker waits forever
                log.exception("capture: stopping the source failed")
            self.queue.close()

    def _loop(self) -> None:
        while not self._stop_event.is_set():
            self._read_since = time.monotonic()
            try:
                frame = self.source.read(timeout=1.0)
            except SourceError as exc:
                self._read_since = None
                self._reconnect(exc)
                continue
            except FrameError as exc:
                self._read_since = None
                self._on_bad(1)
                log.warning("capture: bad frame skipped: %s", exc)
                continue
            self._read_since = None
            if frame is None:
                self.exhausted = True
                log.info("capture: %s has no more frames", self.source.type)
                return
            self._last_frame_at = time.monotonic()
            try:
                item = frame if self._prepare is None else self._prepare(frame)
            except Exception as exc:  # a hook that raises costs one frame, not the camera
                self._on_bad(1)
                log.warning("capture: frame not prepared, skipped: %s", exc)
                continue
            if item is None:
                continue
            dropped = self.queue.put(item)
            if dropped:
                self._on_drop(dropped)

    def _reconnect(self, exc: Exception) -> None:
        self.state = "reconnecting"
        self.last_error = str(exc)
        log.error("camera: %s; reopening with back-off", exc)
        self.source.stop()
        delay = self.cfg.reopen_initial_s
        tries = 0
        while not self._stop_event.wait(delay):
            tries += 1
            try:
                self.source.start()
            except SourceError as again:
                self.last_error = str(again)
                delay = min(delay * 2.0, self.cfg.reopen_max_s)
                log.warning(
                    "camera: reopen try %d failed: %s (next in %.1f s)", tries, again, delay
                )
                continue
            self.reopens += 1
            log.info("camera: reopened after %d tries", tries)
            self.state = "running"
            return
