"""The in-order hand-off between the pipeline's inference and analysis threads.

A small bounded FIFO (so a slow analysis holds the inference thread back instead of queueing
frames without bound) that also counts the items handed off and not yet *settled* (analysed,
or failed in analysis): the inference thread needs that count to stop after exactly
``max_frames`` good frames. ``None`` put into it marks the end.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Handoff"]

log = logging.getLogger(__name__)

T = TypeVar("T")
POLL_S = 0.1  # how often blocked calls look at the abort flag


class Handoff(Generic[T]):
    """Single producer, single consumer; every blocking call gives up once ``abort`` is set."""

    def __init__(self, size: int, abort: threading.Event) -> None:
        self._queue: queue.Queue[T | None] = queue.Queue(size)
        self._abort = abort
        self._pending = 0
        self._settled = threading.Condition()

    @property
    def in_flight(self) -> int:
        """Items put and not yet settled."""
        with self._settled:
            return self._pending

    def put(self, item: T | None, consumer: threading.Thread) -> bool:
        """Queue ``item`` (None: the end); False when aborted or the consumer has ended."""
        if item is not None:
            with self._settled:
                self._pending += 1
        while not self._abort.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                if not consumer.is_alive():
                    break
        if item is not None:
            self.settle()
        return False

    def get(self) -> T | None:
        """The next item; None at the end or once aborted."""
        while not self._abort.is_set():
            try:
                return self._queue.get(timeout=POLL_S)
            except queue.Empty:
                continue
        return None

    def settle(self) -> None:
        """The consumer is done with one item (whatever the outcome)."""
        with self._settled:
            self._pending -= 1
            self._settled.notify_all()

    def wait_while(self, busy: Callable[[int], bool]) -> None:
        """Wait while items are in flight and ``busy(in_flight)`` holds (or until aborted)."""
        with self._settled:
            while self._pending and busy(self._pending) and not self._abort.is_set():
                self._settled.wait(POLL_S)
