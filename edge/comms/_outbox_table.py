"""The outbox's messages table under its bounds (``max_messages``, ``max_bytes``) and drop policy;
the caller (:class:`~edge.comms.outbox.Outbox`) holds the lock and handles storage failures."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from edge.comms import _outbox_db as store

if TYPE_CHECKING:
    from edge.comms.outbox import OutboxConfig

__all__ = ["BoundedTable", "Row", "count_drops", "dropped", "insert", "transaction"]

log = logging.getLogger("edge.comms.outbox")

Row = store.Row  # id, topic, payload, qos, created


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back (once, if still open) on any failure."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        store.rollback(db)
        raise


def insert(db: sqlite3.Connection, rows: list[Row]) -> None:
    """Rows with their own ids (the outbox numbers messages), each with its checksum."""
    db.executemany(
        "INSERT OR IGNORE INTO messages (id, topic, payload, qos, created, crc) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(*r, store.checksum(r[1], r[2])) for r in rows],
    )


def count_drops(db: sqlite3.Connection, n: int) -> None:
    db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (n,))


def dropped(db: sqlite3.Connection) -> int:
    (value,) = db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
    return int(value)


class BoundedTable:
    """Puts that respect the bounds; drops are logged at WARNING and counted in the file."""

    def __init__(self, path: Path, cfg: OutboxConfig) -> None:
        self.path = path
        self.cfg = cfg
        # Never below the stored payload bytes (acks only lower the truth): the exact SUM, a
        # scan of every row, is needed only when this bound says max_bytes may be reached.
        # None (recount) after anything that may have made it wrong (a failed transaction).
        self.bytes_bound: int | None = None

    def put(self, db: sqlite3.Connection, msg_id: int, topic: str, payload: bytes, qos: int) -> int:
        """Insert message ``msg_id`` within the bounds; 0 when the policy refused it."""
        with transaction(db):
            (depth,) = db.execute("SELECT COUNT(*) FROM messages").fetchone()
            excess = depth + 1 - self.cfg.max_messages
            if excess > 0 and self.cfg.drop_policy == "drop_newest":
                count_drops(db, 1)
                log.warning(
                    "outbox %s full (%d messages): dropped the NEW message on %s "
                    "(drop_newest); %d dropped so far",
                    self.path,
                    depth,
                    topic,
                    dropped(db),
                )
                return 0
            if excess > 0:
                db.execute(
                    "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?)",
                    (excess,),
                )
                count_drops(db, excess)
            if not self._fit_bytes(db, topic, len(payload)):
                return 0
            insert(db, [(msg_id, topic, bytes(payload), qos, time.time())])
        if excess > 0:
            log.warning(
                "outbox %s full (%d messages): dropped the %d OLDEST message(s) "
                "(drop_oldest); %d dropped so far",
                self.path,
                depth,
                excess,
                dropped(db),
            )
        return msg_id

    def _fit_bytes(self, db: sqlite3.Connection, topic: str, size: int) -> bool:
        """Make room for ``size`` payload bytes under ``max_bytes`` (inside put's transaction);
        False when the new message is refused (drop_newest, or larger than the whole bound)."""
        limit = self.cfg.max_bytes
        if self.bytes_bound is not None and self.bytes_bound + size <= limit:
            self.bytes_bound += size
            return True
        (total,) = db.execute("SELECT COALESCE(SUM(length(payload)), 0) FROM messages").fetchone()
        self.bytes_bound = int(total)
        over = int(total) + size - limit
        if over <= 0:
            self.bytes_bound += size
            return True
        if self.cfg.drop_policy == "drop_newest" or size > limit:
            count_drops(db, 1)
            log.warning(
                "outbox %s holds %d of %d bytes: dropped the NEW %d-byte message on %s; "
                "%d dropped so far",
                self.path,
                total,
                limit,
                size,
                topic,
                dropped(db),
            )
            return False
        doomed: list[int] = []
        freed = 0
        for msg_id, length in db.execute("SELECT id, length(payload) FROM messages ORDER BY id"):
            doomed.append(int(msg_id))
            freed += int(length)
            if freed >= over:
                break
        db.execute("DELETE FROM messages WHERE id <= ?", (doomed[-1],))
        count_drops(db, len(doomed))
        self.bytes_bound = int(total) - freed + size
        log.warning(
            "outbox %s over %d bytes: dropped the %d OLDEST message(s) (drop_oldest); "
            "%d dropped so far",
            self.path,
            limit,
            len(doomed),
            dropped(db),
        )
        return True
