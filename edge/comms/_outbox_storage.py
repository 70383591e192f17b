"""The outbox's storage state (:class:`~edge.comms.outbox.Outbox`): the SQLite file, the memory
spill that stands in for it while the disk refuses writes, and the way between them: degrading,
retrying, and setting a damaged file aside with what :func:`salvage` reads back from it. The
caller holds the outbox's lock around every method here."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from edge.comms import _outbox_db as store
from edge.comms import _outbox_table as table
from edge.comms._outbox_salvage import salvage
from edge.comms._outbox_table import BoundedTable
from edge.comms._spill import Spill
from edge.errors import PublishError

if TYPE_CHECKING:
    from edge.comms.outbox import OutboxConfig

__all__ = ["OutboxStorage"]

log = logging.getLogger("edge.comms.outbox")


class OutboxStorage:
    """Where the outbox keeps its messages: on disk, or in memory while the disk refuses."""

    def __init__(self, path: Path, cfg: OutboxConfig) -> None:
        self.path = Path(path)
        self.cfg = cfg
        self._table = BoundedTable(self.path, cfg)
        self._db: sqlite3.Connection | None = None
        self._closed = False
        self._spill = Spill(cfg.spill_max_messages, cfg.spill_max_bytes, cfg.drop_policy)
        self._degraded: str | None = None
        self._corrupt = False
        self._next_retry = 0.0
        self._deferred_acks: set[int] = set()  # acked while the disk refused the DELETE
        self._disk_depth = 0
        self._disk_dropped = 0
        self.quarantined = 0
        self.salvage_incomplete = 0
        self._damaged = 0  # messages found damaged or unreadable in a quarantined file: lost
        # Bumped when messages with ids below ones already handed out may appear (a disk that
        # comes back, a salvaged file): the publisher then re-reads the outbox from the start.
        self.generation = 0
        self._last_id = 0
        try:
            self._open()
        except sqlite3.Error as exc:
            self._degrade(exc, "open")
        except OSError as exc:
            if not self._mkdir_failed(exc):
                self._degrade(exc, "open")
        if self._db is None:
            # Memory only from the start: ids above any a disk outbox could hold, so the
            # spill sorts after whatever the disk keeps once it is readable again.
            self._last_id = int(time.time() * 1000)

    def _mkdir_failed(self, exc: OSError) -> bool:
        if self.path.parent.is_dir():
            return False
        raise PublishError(
            f"outbox {self.path}: cannot create its folder ({exc}); "
            "expected a writable file under the state directory"
        ) from exc

    # -- storage state ------------------------------------------------------------------------
    def _open(self) -> None:
        """Connect; a damaged file is quarantined and replaced. Raises what cannot be helped."""
        try:
            db = store.connect(self.path, self._last_id)
        except sqlite3.DatabaseError as exc:
            if not store.is_corruption(exc):
                raise
            db = self._replace_corrupt(exc)
        (seq,) = db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'messages'"
        ).fetchone()
        self._last_id = max(self._last_id, int(seq))
        self._db, self._corrupt = db, False

    def _replace_corrupt(self, exc: BaseException) -> sqlite3.Connection:
        if self._db is not None:
            self._db.close()
            self._db = None
        aside = store.quarantine(self.path)
        self.quarantined += 1
        got = salvage(aside)
        rows, bad = got.rows, got.lost
        self._damaged += bad
        if not got.complete:
            self.salvage_incomplete += 1
        log.error(
            "outbox %s is DAMAGED (%s): set aside as %s (%d damaged file(s) so far), "
            "%d message(s) read back from it, %d damaged or unreadable message(s) LOST%s; "
            "starting a fresh outbox",
            self.path,
            exc,
            aside,
            self.quarantined,
            len(rows),
            bad,
            ""
            if got.complete
            else " at least: salvage INCOMPLETE, how many it held cannot be known (file kept)",
        )
        # Ids keep increasing even when nothing could be read back (the index or the file's
        # sequence still shows how far they went); got.last_id covers every id read, filtered.
        self._last_id = max(self._last_id, got.last_id)
        if rows:
            self.generation += 1  # ids below those handed out may reappear
        db = None
        try:
            db = store.connect(self.path, self._last_id)
            with table.transaction(db):
                table.insert(db, rows)
                table.count_drops(db, bad)
        except (sqlite3.Error, OSError):
            if db is not None:
                db.close()
            self._spill.prepend(rows)  # no fresh file either (disk full too): keep them in memory
            self._spill.unpersisted_drops += bad
            raise
        return db

    def _degrade(self, exc: BaseException, doing: str) -> None:
        """A storage failure: keep going in memory, try the disk again in ``retry_s``."""
        reason = f"{store.kind_of(exc)} ({doing}: {exc})"
        self._table.bytes_bound = None  # a rolled-back put may have moved it
        self._corrupt = self._corrupt or store.is_corruption(exc)
        self._next_retry = time.monotonic() + self.cfg.retry_s
        if self._degraded is None:
            log.error(
                "outbox %s DEGRADED: %s; messages are kept in memory (at most %d) and still "
                "sent; the disk is tried again every %g s",
                self.path,
                reason,
                self.cfg.spill_max_messages,
                self.cfg.retry_s,
            )
        self._degraded = reason

    def _recover(self, force: bool = False) -> None:
        """Try the disk again (lock held): reopen, write the spill back, leave degraded mode."""
        if self._degraded is None or self._closed:
            return
        if not force and time.monotonic() < self._next_retry:
            return
        try:
            if self._corrupt and self._db is not None:
                self._db = self._replace_corrupt(sqlite3.DatabaseError(self._degraded))
                self._corrupt = False
            if self._db is None:
                self._open()
                self.generation += 1  # what the disk kept has ids below those in memory
            db = self._conn()
            spilled = self._spill.items()
            with table.transaction(db):
                db.executemany(
                    "DELETE FROM messages WHERE id = ?", [(i,) for i in self._deferred_acks]
                )
                table.insert(db, spilled)
                table.count_drops(db, self._spill.unpersisted_drops)
        except (sqlite3.Error, OSError) as exc:
            self._degrade(exc, "retry")
            return
        self._table.bytes_bound = None
        self._deferred_acks.clear()
        self._spill.clear()
        log.warning(
            "outbox %s recovered (was: %s): %d message(s) written back from memory",
            self.path,
            self._degraded,
            len(spilled),
        )
        self._degraded = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise PublishError(f"outbox {self.path} is closed")
        return self._db
