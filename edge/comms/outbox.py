"""Store-and-forward outbox: alerts survive broker outages, daemon restarts and power cuts.

Every alert is written here (SQLite in WAL mode, ``synchronous=FULL``) *before* it is handed to
the MQTT client, and deleted only when the broker acknowledged it (PUBACK). After an outage or a
restart the publisher re-sends :meth:`Outbox.pending` in id order, so events reach subscribers in
the order they were raised (subscribers deduplicate re-deliveries by ``(alert_id, event)``).

The outbox is bounded by ``max_messages`` and by ``max_bytes`` (the sum of the stored payloads:
snapshots are tens of kilobytes where an alert is one or two). When either is full, the drop
policy decides:

* ``drop_oldest`` (default): the oldest stored message is deleted to make room, so the most
  recent state of the device always gets through;
* ``drop_newest``: the new message is not stored (``put`` returns 0).

Either way the drop is logged at WARNING and counted in :attr:`Outbox.dropped`, a counter kept
in the same database (it survives restarts) and reported on the stats topic.

A disk that refuses a write (full, I/O error) or a damaged file never loses a message silently
and never raises into the caller: the outbox becomes *degraded* (:meth:`Outbox.health` says why),
new messages wait in a bounded in-memory spill (``spill_max_messages``/``spill_max_bytes``) that
the publisher sends like stored ones, and every ``retry_s`` the disk is tried again; once it
takes writes the spill is written back with its ids, so order and acknowledgements hold. A
damaged file (at start or later) is renamed aside as ``<name>.corrupt-<UTC time>``, logged at
ERROR and counted, whatever can still be read from it is carried over (past damaged pages too),
what cannot is counted as lost, and a fresh file is made; when how many messages the file held
cannot be known, :attr:`OutboxHealth.salvage_incomplete` counts it.
A disk that cannot even be opened at start leaves the outbox in memory until it can. Messages
the spill's bound pushes out are logged at ERROR and counted as lost (:meth:`Outbox.health`).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.comms import _outbox_db as store
from edge.comms import _outbox_table as table
from edge.comms._outbox_storage import OutboxStorage
from edge.comms._outbox_table import Row
from edge.errors import PublishError

__all__ = ["Outbox", "OutboxConfig", "OutboxHealth", "OutboxMessage"]

log = logging.getLogger(__name__)


class OutboxConfig(BaseModel):
    """Bound and drop policy of the alert outbox."""

    model_config = ConfigDict(extra="forbid")

    max_messages: int = Field(
        100_000, ge=1, description="Most unacknowledged messages kept; beyond it the policy drops."
    )
    max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024,
        description="Most payload bytes kept (snapshots are large); beyond it the policy drops.",
    )
    drop_policy: Literal["drop_oldest", "drop_newest"] = Field(
        "drop_oldest",
        description="When full: delete the oldest stored message, or refuse the new one. "
        "Every drop is logged at WARNING and counted.",
    )
    spill_max_messages: int = Field(
        10_000,
        ge=1,
        description="Most messages kept in memory while the disk refuses writes (full, damaged); "
        "beyond it drop_policy applies and each lost message is counted.",
    )
    spill_max_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Most payload bytes kept in memory while the disk refuses writes.",
    )
    retry_s: float = Field(
        10.0, gt=0, le=3600, description="Seconds between tries of a disk that refused a write."
    )


@dataclass(frozen=True)
class OutboxHealth:
    """Whether the outbox stores on disk, and what it lost (for status and stats)."""

    state: Literal["ok", "degraded"]
    reason: str | None  # why degraded (disk full, corrupt database, ...)
    in_memory: int  # messages waiting in the memory spill
    lost: int  # pushed out of the memory spill by its bound, or damaged on disk, since start
    quarantined: int  # damaged files set aside since start
    # Quarantined files whose salvage could not finish: how many messages they held is not
    # known, so more may be lost than ``lost`` counts.
    salvage_incomplete: int = 0

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class OutboxMessage:
    """One stored, not yet acknowledged message."""

    id: int
    topic: str
    payload: bytes
    qos: int
    created: float


class Outbox(OutboxStorage):
    """A bounded, persistent FIFO of MQTT messages; thread-safe; degrades to memory, never raises
    on a storage failure (see the module docstring)."""

    def __init__(self, path: Path, cfg: OutboxConfig) -> None:
        self._lock = threading.Lock()
        super().__init__(path, cfg)

    def __repr__(self) -> str:
        return f"Outbox({self.path}, policy={self.cfg.drop_policy}, max={self.cfg.max_messages})"

    def retry(self, force: bool = False) -> bool:
        """Try a refusing disk again (at most every ``retry_s`` unless ``force``); True when
        the outbox stores on disk (again). The daemon calls this periodically."""
        with self._lock:
            self._recover(force)
            return self._degraded is None

    def health(self) -> OutboxHealth:
        """``ok`` or ``degraded`` (with the reason), and what waits in memory or was lost."""
        with self._lock:
            return OutboxHealth(
                "ok" if self._degraded is None else "degraded",
                self._degraded,
                len(self._spill),
                self._spill.dropped + self._damaged,
                self.quarantined,
                self.salvage_incomplete,
            )

    # -- messages -------------------------------------------------------------------------------
    def put(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """Store a message; returns its id (increasing), or 0 when a bound refused it."""
        if qos not in (0, 1, 2):
            raise ValueError(f"outbox put: qos must be 0, 1 or 2, got {qos!r}")
        with self._lock:
            if self._closed:
                raise PublishError(f"outbox {self.path} is closed")
            self._recover()
            if self._degraded is None:
                # The outbox numbers messages itself: ids handed out from memory while the disk
                # refused writes are never reused, whatever the file's own sequence says.
                try:
                    msg_id = self._table.put(self._conn(), self._last_id + 1, topic, payload, qos)
                except sqlite3.Error as exc:
                    self._degrade(exc, "put")
                else:
                    self._last_id = max(self._last_id, msg_id)
                    return msg_id
            # After the failed write or while degraded: memory keeps the order (the spill is
            # written back before anything new goes to disk).
            msg_id = self._last_id + 1
            if not self._spill.add((msg_id, topic, bytes(payload), qos, time.time())):
                return 0
            self._last_id = msg_id
            return msg_id

    def pending(self, limit: int = 100, after_id: int = 0) -> list[OutboxMessage]:
        """Up to ``limit`` waiting messages with ``id > after_id``, oldest first (disk, then
        memory: everything in memory is newer)."""
        with self._lock:
            rows = []
            if self._db is not None and not self._corrupt:
                try:
                    rows = self._db.execute(
                        "SELECT id, topic, payload, qos, created, crc FROM messages "
                        "WHERE id > ? ORDER BY id LIMIT ?",
                        (after_id, limit + len(self._deferred_acks)),
                    ).fetchall()
                except sqlite3.Error as exc:  # damaged: what memory holds still goes out
                    self._degrade(exc, "read")
            rows = self._intact([r for r in rows if r[0] not in self._deferred_acks][:limit])
            if len(rows) < limit:
                rows += self._spill.after(max([after_id, *(r[0] for r in rows)]), limit - len(rows))
        return [OutboxMessage(int(i), str(t), bytes(p), int(q), float(c)) for i, t, p, q, c in rows]

    def _intact(self, rows: list[store.StoredRow]) -> list[Row]:
        """Rows up to the first damaged one (:func:`store.intact`): that one is never sent; the
        file is set aside at the next retry."""
        out: list[Row] = []
        for stored in rows:
            row = store.intact(stored)
            if row is None:
                # store.intact rejects a wrong crc and a wrong column type alike
                damaged = sqlite3.DatabaseError(
                    f"message {stored[0]}: damaged record: checksum or column type"
                )
                self._degrade(damaged, "read")
                break
            out.append(row)
        return out

    def ack(self, msg_id: int) -> None:
        """The broker acknowledged ``msg_id``: forget it (unknown ids are ignored)."""
        with self._lock:
            if self._spill.remove(msg_id) or self._db is None:
                return
            try:
                self._db.execute("DELETE FROM messages WHERE id = ?", (msg_id,))
            except sqlite3.Error as exc:  # deleted for real once the disk takes writes again
                self._deferred_acks.add(msg_id)
                self._degrade(exc, "ack")

    def depth(self) -> int:
        """How many messages wait for an acknowledgement (disk and memory)."""
        with self._lock:
            if self._db is not None and not self._corrupt:
                try:
                    (n,) = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()
                    self._disk_depth = int(n)
                except sqlite3.Error as exc:
                    self._degrade(exc, "count")
            return max(0, self._disk_depth - len(self._deferred_acks)) + len(self._spill)

    @property
    def dropped(self) -> int:
        """Messages dropped by a bound: the database's persisted count plus those lost from the
        memory spill and not yet written to it."""
        with self._lock:
            if self._db is not None and not self._corrupt:
                try:
                    self._disk_dropped = table.dropped(self._db)
                except sqlite3.Error as exc:
                    self._degrade(exc, "count")
            return self._disk_dropped + self._spill.unpersisted_drops

    def close(self) -> None:
        """Write the memory spill back if the disk allows, then close; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._recover(force=True)
            if len(self._spill):
                log.error(
                    "outbox %s: %d message(s) held only in memory are LOST at close (%s)",
                    self.path,
                    len(self._spill),
                    self._degraded,
                )
            self._closed = True
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
