"""Salvage of a damaged outbox file: real SQLite files with real pages overwritten. Rows on both
sides of the damage are carried over, the unreadable ones are counted, and a file whose message
count cannot be known says so (``salvage_incomplete``)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from edge.comms.outbox import Outbox, OutboxConfig


def _open(folder: Path, **cfg: object) -> Outbox:
    return Outbox(folder / "outbox.sqlite", OutboxConfig(**cfg))  # type: ignore[arg-type]


def _payload(i: int) -> bytes:
    return f"alert-{i:05d}-".encode() + bytes(1000)  # three to a leaf page, no overflow pages


def _write(folder: Path, n: int) -> list[int]:
    with _open(folder) as box:
        return [box.put("t", _payload(i)) for i in range(n)]


def _page_size(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        (size,) = db.execute("PRAGMA page_size").fetchone()
        return int(size)
    finally:
        db.close()


def _root_page(path: Path, name: str) -> int:
    db = sqlite3.connect(path)
    try:
        (page,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)
        ).fetchone()
        return int(page)
    finally:
        db.close()


def _destroy(path: Path, page: int) -> None:
    """Overwrite one whole page (1-based, as SQLite numbers them)."""
    size = _page_size(path)
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes([0xA5]) * size)


def _leaf_of(path: Path, i: int) -> tuple[int, set[int]]:
    """The page holding message ``i``'s payload, and every message whose payload it holds."""
    data, size = path.read_bytes(), _page_size(path)
    page = data.index(f"alert-{i:05d}-".encode()) // size + 1
    chunk = data[(page - 1) * size : page * size]
    return page, {int(m) for m in re.findall(rb"alert-(\d{5})-", chunk)}


def test_a_damaged_table_page_at_the_start_counts_every_message_it_held_as_lost(
    tmp_path: Path,
) -> None:
    """The probe that found the defect: 8 messages, all on the table's one page, that page
    destroyed. Before: lost 0, nothing pending, no sign anything was lost."""
    ids = _write(tmp_path, 8)
    path = tmp_path / "outbox.sqlite"
    _destroy(path, _root_page(path, "messages"))
    with _open(tmp_path) as box:
        health = box.health()
        assert (health.quarantined, health.lost, health.salvage_incomplete) == (1, 8, 0)
        assert box.pending(limit=100) == [] and box.dropped == 8
        assert box.put("t", b"after") > max(ids)


@pytest.mark.parametrize("which", [0, 19, 39], ids=["first-leaf", "middle-leaf", "last-leaf"])
def test_rows_on_both_sides_of_a_damaged_page_are_carried_over_and_its_rows_counted_lost(
    tmp_path: Path, which: int
) -> None:
    ids = _write(tmp_path, 40)
    path = tmp_path / "outbox.sqlite"
    page, on_page = _leaf_of(path, which)
    assert which in on_page
    _destroy(path, page)
    with _open(tmp_path) as box:
        health = box.health()
        assert (health.quarantined, health.salvage_incomplete) == (1, 0)
        kept = box.pending(limit=1000)
        assert [m.id for m in kept] == [ids[i] for i in range(40) if i not in on_page]
        assert [m.payload for m in kept] == [_payload(i) for i in range(40) if i not in on_page]
        assert health.lost == len(on_page) and box.dropped == len(on_page)


def test_damage_that_hides_how_many_messages_there_were_is_counted_as_an_incomplete_salvage(
    tmp_path: Path,
) -> None:
    """A middle leaf of the table and the index (the other list of ids) both destroyed: what is
    readable is still carried over, one region of damage proves at least one lost message, and
    the outbox says the count is not known."""
    ids = _write(tmp_path, 40)
    path = tmp_path / "outbox.sqlite"
    page, on_page = _leaf_of(path, 19)
    index = _root_page(path, "messages_qos")
    assert index != page
    _destroy(path, page)
    _destroy(path, index)
    with _open(tmp_path) as box:
        health = box.health()
        assert (health.quarantined, health.lost, health.salvage_incomplete) == (1, 1, 1)
        stats = health.as_dict()  # the stats topic's "outbox" object
        assert stats["salvage_incomplete"] == 1 and stats["lost"] == 1
        kept = [m.id for m in box.pending(limit=1000)]
        assert kept == [ids[i] for i in range(40) if i not in on_page]
        assert box.dropped == 1


def test_a_record_whose_payload_turned_into_a_number_is_damage_not_an_alert_of_zeros(
    tmp_path: Path,
) -> None:
    """Without a checksum (a row from before them) the column's type is all there is to check:
    bytes(5000) would be carried over as 5000 zero bytes (and bytes(10**12) would exhaust
    memory)."""
    ids = _write(tmp_path, 3)
    db = sqlite3.connect(tmp_path / "outbox.sqlite", isolation_level=None)
    db.execute("UPDATE messages SET payload = 5000, crc = NULL WHERE id = ?", (ids[1],))
    db.close()
    box = _open(tmp_path, retry_s=3600)
    try:
        assert [m.id for m in box.pending(limit=100)] == ids[:1]  # never sent live either
        reason = box.health().reason or ""
        # The crc is NULL here: the column's type is what failed, so no "checksum mismatch".
        assert "corrupt" in reason and "damaged record: checksum or column type" in reason
        assert box.retry(force=True)
        health = box.health()
        assert (health.quarantined, health.lost, health.salvage_incomplete) == (1, 1, 0)
        assert [m.id for m in box.pending(limit=100)] == [ids[0], ids[2]]
    finally:
        box.close()


def test_a_garbled_id_in_a_damaged_file_does_not_push_new_ids_to_an_overflow(
    tmp_path: Path,
) -> None:
    """New ids go on above what the damaged file shows, but not from a number no outbox could
    reach: the next id after 2**63 - 1 cannot be stored, and every put would fail."""
    ids = _write(tmp_path, 8)
    path = tmp_path / "outbox.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'", (2**63 - 1,))
    db.close()
    _destroy(path, _root_page(path, "messages"))
    with _open(tmp_path) as box:
        assert box.health().lost == 8
        assert box.put("t", b"after") == max(ids) + 1  # from the index's ids


def _move(path: Path, old: int, new: int) -> None:
    """Give one row another id, as a garbled page could: its crc (topic and payload) stays valid."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE messages SET id = ? WHERE id = ?", (new, old))
    db.close()


def test_a_row_at_the_highest_id_in_a_damaged_file_is_counted_lost_and_the_outbox_still_opens(
    tmp_path: Path,
) -> None:
    """Reading on past id 2**63 - 1 cannot be asked of SQLite (OverflowError): before, Outbox()
    crashed at start on such a file."""
    ids = _write(tmp_path, 40)
    path = tmp_path / "outbox.sqlite"
    _move(path, ids[-1], 2**63 - 1)
    page, on_page = _leaf_of(path, 19)
    assert 39 not in on_page
    _destroy(path, page)
    with _open(tmp_path) as box:
        health = box.health()
        assert (health.quarantined, health.salvage_incomplete) == (1, 0)
        assert health.lost == len(on_page) + 1 and box.dropped == len(on_page) + 1
        kept = [m.id for m in box.pending(limit=1000)]
        assert kept == [ids[i] for i in range(39) if i not in on_page]
        assert max(ids) < box.put("t", b"after") < 2**53


def test_a_row_at_an_implausible_id_is_not_the_base_of_new_ids(tmp_path: Path) -> None:
    """A row at 2**62 (a garbled id) is damage: carried over, its id would be where new ids go
    on from, and a few such steps would overflow."""
    ids = _write(tmp_path, 40)
    path = tmp_path / "outbox.sqlite"
    _move(path, ids[-1], 2**62)
    page, on_page = _leaf_of(path, 19)
    assert 39 not in on_page
    _destroy(path, page)
    with _open(tmp_path) as box:
        health = box.health()
        assert health.lost == len(on_page) + 1
        assert [m.id for m in box.pending(limit=1000)] == [
            ids[i] for i in range(39) if i not in on_page
        ]
        assert max(ids) < box.put("t", b"after") < 2**53
