"""Reading back what a damaged (quarantined) outbox file still holds, and counting the rest.

One ordered scan stops at the first page SQLite refuses; rows past it would be neither carried
over nor counted. So the scan steps over damage: it goes on from the smallest id past the
refused row whose read works again (a bounded binary search on the rowid b-tree). The id list
comes separately from the ``messages_qos`` index (a second b-tree holding every id): ids it
names that the table would not give are counted unreadable. When neither the table nor the index
could be read to the end, how many messages are gone cannot be known: the result says so.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from edge.comms._outbox_db import Row, StoredRow, intact

__all__ = ["Salvage", "salvage"]

log = logging.getLogger(__name__)

_ROWS_FROM = (
    "SELECT id, topic, payload, qos, created, crc FROM messages WHERE id >= ? ORDER BY id LIMIT ?"
)
_ROW_BY_ID = "SELECT id, topic, payload, qos, created, crc FROM messages WHERE id = ?"
_INDEX_IDS = "SELECT id FROM messages INDEXED BY messages_qos LIMIT ?"
_LOWEST = -(2**63)
_HIGHEST = 2**63 - 1
# Bounds, so a damaged file never makes the daemon spin or swell: each region of damage costs
# at most 64 one-row reads; past these the rest is given up (and counted when the ids are known).
_MAX_REGIONS = 256
_MAX_IDS = 1_000_000
_MAX_LOOKUPS = 10_000
_BATCH = 256
_PLAUSIBLE_ID = 2**53


@dataclass
class Salvage:
    """What :func:`salvage` got out of a damaged file."""

    rows: list[Row] = field(default_factory=list)  # intact messages, in id order
    damaged: int = 0  # read, but the checksum, a column's type or an implausible id says damaged
    unreadable: int = 0  # known to be there (id list) but SQLite refused them; a lower bound
    complete: bool = True  # False: more may be lost than damaged + unreadable, unknowably
    last_id: int = 0  # the highest id the file shows was handed out: new ids go above it

    @property
    def lost(self) -> int:
        return self.damaged + self.unreadable


def _rows_from(db: sqlite3.Connection, first: int, n: int) -> list[StoredRow] | None:
    """Up to ``n`` rows with ``id >= first`` in id order, or None when SQLite refuses. A LIMIT,
    not an open cursor: sqlite3 steps one row ahead, so a failure there would take the row
    already read with it."""
    try:
        return list(db.execute(_ROWS_FROM, (first, n)).fetchall())
    except sqlite3.Error:
        return None


def _skip(db: sqlite3.Connection, first: int) -> int:
    """The smallest ``a > first`` from which reading works again (rows in ``[first, a)`` are
    unreadable). Readability is taken to
    be monotonic within one region of damage: a seek past a damaged leaf's last id goes to the
    next leaf, one past a row whose overflow pages are damaged to the next row. The caller has
    checked that a read from the highest id works (the last leaf and the root are readable)."""
    lo, hi = first, _HIGHEST
    while hi - lo > 1:  # at most 64 reads
        mid = lo + (hi - lo) // 2
        if _rows_from(db, mid, 1) is None:
            lo = mid
        else:
            hi = mid
    return hi


def _take(out: Salvage, seen: set[int], stored: StoredRow) -> None:
    seen.add(int(stored[0]))
    row = intact(stored)
    # An id no outbox reaches is a garbled one (the crc covers topic and payload only):
    # carried over, new ids would go on from it towards an overflow.
    if row is None or row[0] >= _PLAUSIBLE_ID:
        out.damaged += 1
    else:
        out.rows.append(row)


def _walk(db: sqlite3.Connection, out: Salvage, seen: set[int]) -> tuple[bool, int]:
    """Read every readable row in id order, stepping over damage. Returns whether any read
    failed, and how many regions of damage were stepped over: each holds at least one row (a
    table b-tree has no empty leaf but the root). Damage that nothing readable follows (the
    root, the last leaf) proves no row: it could be an empty outbox."""
    first, stepped, failed = _LOWEST, 0, False
    n = _BATCH
    tail_readable: bool | None = None  # a read from the highest id works: probed once
    while True:
        rows = _rows_from(db, first, n)
        if rows is None and n > 1:
            # Somewhere in this batch: read on one row at a time up to it (a batch retried at
            # each row would re-read ~k**2/2 rows before the damage).
            failed, n = True, 1
            continue
        if rows is None:
            if tail_readable is None:
                tail_readable = _rows_from(db, _HIGHEST, 1) is not None
            nxt = _skip(db, first) if tail_readable and stepped < _MAX_REGIONS else None
            if nxt is None:  # the last leaf (or the root) itself is damaged, or too many regions
                return failed, stepped
            stepped, first, n = stepped + 1, nxt, _BATCH
            continue
        if not rows:
            return failed, stepped
        for stored in rows:
            _take(out, seen, stored)
        if int(rows[-1][0]) >= _HIGHEST:  # no id above it: binding 2**63 raises OverflowError
            return failed, stepped
        first = int(rows[-1][0]) + 1


def _index_ids(db: sqlite3.Connection) -> tuple[list[int], bool]:
    """The ids the index holds (up to ``_MAX_IDS``), and whether that list is complete."""
    ids: list[int] = []
    try:
        for (i,) in db.execute(_INDEX_IDS, (_MAX_IDS + 1,)):
            ids.append(int(i))
    except (sqlite3.Error, TypeError, ValueError):
        return ids, False
    return ids[:_MAX_IDS], len(ids) <= _MAX_IDS


def _plausible(ids: list[int]) -> int:
    """The highest id below 2**53: a garbled page may name any 64-bit id, and new ids going on
    from near 2**63 would overflow (2**53 takes 285,000 years at 1,000 alerts a second)."""
    return max([0, *(i for i in ids if i < _PLAUSIBLE_ID)])


def _sequence(db: sqlite3.Connection) -> int:
    """The file's AUTOINCREMENT high-water mark, or 0 when it cannot be read."""
    try:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").fetchone()
    except sqlite3.Error:
        return 0
    return row[0] if row is not None and isinstance(row[0], int) else 0


def _read_by_id(db: sqlite3.Connection, msg_id: int, out: Salvage, seen: set[int]) -> bool:
    """One row the walk skipped, read by its id: True when read (intact or damaged)."""
    try:
        stored = db.execute(_ROW_BY_ID, (msg_id,)).fetchone()
    except sqlite3.Error:
        return False
    if stored is None:  # the table says no such row: a stale id from a damaged index page
        seen.add(msg_id)
        return True
    _take(out, seen, stored)
    return True


def salvage(path: Path) -> Salvage:
    """Messages still intact in a quarantined file, and how many are lost or may be lost."""
    out = Salvage()
    try:
        db = sqlite3.connect(str(path), isolation_level=None, timeout=1.0)
    except sqlite3.Error as exc:
        log.warning("outbox %s: cannot open the damaged file to salvage it: %s", path, exc)
        out.complete = False
        return out
    try:
        seen: set[int] = set()
        failed, stepped = _walk(db, out, seen)
        out.last_id = _plausible([_sequence(db), *seen])
        if not failed:
            return out  # the table read to its end: every row is read or counted damaged
        ids, ids_complete = _index_ids(db)
        out.last_id = max(out.last_id, _plausible(ids))
        missing = [i for i in dict.fromkeys(ids) if i not in seen]
        for n, msg_id in enumerate(missing):
            if n >= _MAX_LOOKUPS or not _read_by_id(db, msg_id, out, seen):
                out.unreadable += 1
        out.rows.sort(key=lambda r: r[0])
        # Each region stepped over held a row: an index naming fewer missing ids is damaged too.
        if not ids_complete or out.unreadable < stepped:
            out.complete = False
            out.unreadable = max(out.unreadable, stepped)
    finally:
        db.close()
    return out
