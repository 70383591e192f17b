"""Opening the outbox's SQLite file, and setting a corrupt one aside (quarantine)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
import zlib
from pathlib import Path

__all__ = [
    "Row",
    "StoredRow",
    "checksum",
    "connect",
    "intact",
    "is_corruption",
    "kind_of",
    "quarantine",
    "rollback",
]

Row = tuple[int, str, bytes, int, float]
StoredRow = tuple[int, str, bytes, int, float, int | None]  # a Row and its crc as read

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    created REAL NOT NULL,
    crc INTEGER  -- crc32 of topic and payload: SQLite does not checksum pages (see salvage)
);
-- COUNT(*) (every put, depth) scans this small index, not the payloads: 0.03 ms, not 65 ms at 100k
CREATE INDEX IF NOT EXISTS messages_qos ON messages (qos);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0);
"""

_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_corruption(exc: BaseException) -> bool:
    """The file is damaged (not a disk that refuses writes): it must be set aside."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name:
        return name.startswith(_CORRUPT)
    return not isinstance(exc, sqlite3.OperationalError)


def kind_of(exc: BaseException) -> str:
    """A short human name for a storage failure."""
    if is_corruption(exc):
        return "corrupt database"
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name.startswith("SQLITE_FULL"):
        return "disk full"
    if name.startswith("SQLITE_IOERR") or isinstance(exc, OSError):
        return "disk I/O error"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        return "cannot write"
    return "database error"


def connect(path: Path, last_id: int) -> sqlite3.Connection:
    """Open (creating) and check the outbox; ids continue after ``last_id``. Raises on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The MQTT network thread acks while the pipeline puts: one connection, one lock.
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10.0)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # Alerts are rare; an fsync per alert is cheap and survives a power cut.
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        if "crc" not in {r[1] for r in db.execute("PRAGMA table_info(messages)")}:
            db.execute("ALTER TABLE messages ADD COLUMN crc INTEGER")  # an outbox from before
        # A damaged page is found now, at start, not by the first alert that touches it.
        (verdict,) = db.execute("PRAGMA quick_check(1)").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {verdict}")
        if last_id > 0:  # a fresh file after a quarantine: ids must keep increasing
            cur = db.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'messages'", (last_id,)
            )
            if cur.rowcount == 0:
                db.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', ?)", (last_id,)
                )
    except BaseException:
        db.close()
        raise
    return db


def rollback(db: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends one itself on SQLITE_FULL)."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def quarantine(path: Path) -> Path:
    """Rename the database and its WAL/SHM files aside; returns the new name. Raises OSError."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


def checksum(topic: str, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(topic.encode("utf-8")))


def intact(stored: StoredRow) -> Row | None:
    """The row when it is intact, None when damaged: the one rule for sending and salvage.

    A present crc must match (SQLite reads a damaged data page without complaint), and every
    column must have its type. A NULL crc is a row written before checksums existed: there is
    nothing to check, so it is trusted."""
    i, t, p, q, c, crc = stored
    # A damaged record may hold any type: bytes(an int) would allocate that many bytes.
    if not (isinstance(t, str) and isinstance(p, bytes) and isinstance(q, int)):
        return None
    if not isinstance(c, (int, float)) or not isinstance(crc, (int, type(None))):
        return None
    if crc is not None and crc != checksum(t, p):
        return None
    return int(i), t, p, q, float(c)
