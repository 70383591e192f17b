"""Fan-out of live updates from the MQTT thread to every open server-sent-events stream."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

__all__ = ["Hub"]

log = logging.getLogger(__name__)

_QUEUE = 500  # a browser that stops reading loses updates, never the server's memory


class Hub:
    """Thread-safe publish, asyncio subscribe: ``publish`` from any thread, ``subscribe`` on the
    web server's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()

    def subscribe(self) -> asyncio.Queue[str]:
        q: asyncio.Queue[str] = asyncio.Queue(_QUEUE)
        with self._lock:
            self._queues.add((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, q: asyncio.Queue[str]) -> None:
        with self._lock:
            self._queues = {(loop, x) for loop, x in self._queues if x is not q}

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """One SSE message (``event: kind``, JSON data) to every subscriber."""
        text = f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        with self._lock:
            targets = list(self._queues)
        for loop, q in targets:
            try:
                loop.call_soon_threadsafe(_offer, q, text)
            except RuntimeError:  # that loop has closed
                self.unsubscribe(q)


def _offer(q: asyncio.Queue[str], text: str) -> None:
    try:
        q.put_nowait(text)
    except asyncio.QueueFull:
        log.warning("a live-update stream is not reading; dropping an update for it")
