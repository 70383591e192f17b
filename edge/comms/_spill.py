"""The outbox's bounded in-memory spill: where messages wait while the disk refuses writes."""

from __future__ import annotations

import logging
from collections import deque
from typing import Literal

from edge.comms._outbox_db import Row  # id, topic, payload, qos, created

__all__ = ["Spill"]

log = logging.getLogger(__name__)


class Spill:
    """A FIFO bounded by message count and payload bytes; not thread-safe (the outbox locks)."""

    def __init__(
        self, max_messages: int, max_bytes: int, policy: Literal["drop_oldest", "drop_newest"]
    ) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.policy = policy
        self._items: deque[Row] = deque()
        self._bytes = 0
        self.dropped = 0  # lost to the bound since start (never reset: reported as lost)
        self.unpersisted_drops = 0  # of those, not yet added to the database's counter

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def add(self, msg: Row) -> bool:
        """Keep ``msg``; False when the bound refused it (drop_newest, or larger than the bound)."""
        size = len(msg[2])
        full = len(self._items) >= self.max_messages or self._bytes + size > self.max_bytes
        if full and (self.policy == "drop_newest" or size > self.max_bytes):
            self._drop(1, f"the NEW message on {msg[1]}")
            return False
        n = 0
        while self._items and (
            len(self._items) >= self.max_messages or self._bytes + size > self.max_bytes
        ):
            self._bytes -= len(self._items.popleft()[2])
            n += 1
        if n:
            self._drop(n, f"the {n} OLDEST message(s)")
        self._items.append(msg)
        self._bytes += size
        return True

    def prepend(self, older: list[Row]) -> None:
        """Put messages older than every one here in front (read back from a damaged file that
        could not be replaced); beyond the bound the oldest of them are lost (counted)."""
        self._items.extendleft(reversed(older))
        self._bytes += sum(len(m[2]) for m in older)
        n = 0
        while len(self._items) > self.max_messages or self._bytes > self.max_bytes:
            self._bytes -= len(self._items.popleft()[2])
            n += 1
        if n:
            self._drop(n, f"the {n} OLDEST message(s)")

    def _drop(self, n: int, what: str) -> None:
        self.dropped += n
        self.unpersisted_drops += n
        log.error(
            "outbox memory spill full (%d messages, %d bytes): LOST %s; %d lost so far",
            len(self._items),
            self._bytes,
            what,
            self.dropped,
        )

    def after(self, after_id: int, limit: int) -> list[Row]:
        """Up to ``limit`` messages with an id above ``after_id``, oldest first."""
        out: list[Row] = []
        for msg in self._items:
            if msg[0] > after_id:
                out.append(msg)
                if len(out) >= limit:
                    break
        return out

    def remove(self, msg_id: int) -> bool:
        """Forget ``msg_id`` (acknowledged); False when it is not here."""
        for msg in self._items:
            if msg[0] == msg_id:
                self._items.remove(msg)
                self._bytes -= len(msg[2])
                return True
        return False

    def items(self) -> list[Row]:
        return list(self._items)

    def clear(self) -> None:
        """Everything was written to the database."""
        self._items.clear()
        self._bytes = 0
        self.unpersisted_drops = 0
