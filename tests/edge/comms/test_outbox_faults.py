"""Outbox under real storage faults: a full database (SQLite's max_page_count on a real file, and
a real full filesystem when the test may mount one) and damaged pages. No SQLite mocks."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from edge.testing.faults import fill_filesystem
from tests.edge.mqtt_helpers import alert_payload, collect, dedup, wait_for


def _open(path: Path, **cfg: object) -> Outbox:
    return Outbox(path / "outbox.sqlite", OutboxConfig(**cfg))  # type: ignore[arg-type]


def _fill(box: Outbox) -> None:
    """The database file may not grow (max_page_count, per connection: the outbox's own) and
    every page is filled to the brim (a filler table): the next insert gets SQLITE_FULL."""
    with box._lock:
        db = box._db
        assert db is not None
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {int(pages) + 2}")
        db.execute("CREATE TABLE IF NOT EXISTS filler (b BLOB)")
        db.execute("BEGIN")
        try:
            for size in (65536, 4096, 1024, 256, 16):
                try:
                    while True:
                        db.execute("INSERT INTO filler VALUES (zeroblob(?))", (size,))
                except sqlite3.OperationalError as exc:
                    assert "full" in str(exc)
        finally:
            if db.in_transaction:
                db.execute("COMMIT")


def _unfill(box: Outbox) -> None:
    with box._lock:
        db = box._db
        assert db is not None
        db.execute("PRAGMA max_page_count = 1073741823")


def _payload(i: int) -> bytes:
    return f"alert-{i:05d}-".encode() + bytes(6000)  # over a page: every insert needs new pages


def test_a_full_disk_keeps_every_message_in_order_and_writes_them_back_when_it_recovers(
    tmp_path: Path,
) -> None:
    box = _open(tmp_path, retry_s=3600)
    ids = [box.put("t", _payload(i)) for i in range(3)]
    _fill(box)
    ids += [box.put("t", _payload(i)) for i in range(3, 10)]  # before the fix: OperationalError
    health = box.health()
    assert health.state == "degraded" and "disk full" in (health.reason or "")
    assert health.in_memory == 7 and health.lost == 0
    assert 0 not in ids and ids == sorted(ids) and len(set(ids)) == 10
    assert [m.id for m in box.pending()] == ids and box.depth() == 10
    box.ack(ids[0])  # a disk message
    box.ack(ids[5])  # a memory one
    assert not box.retry()  # still full (retry_s not due: forced below)
    assert not box.retry(force=True)
    _unfill(box)
    assert box.retry(force=True)
    assert box.health().state == "ok" and box.health().in_memory == 0
    box.close()
    with _open(tmp_path) as again:
        left = [m.id for m in again.pending()]
        assert left == [i for i in ids if i not in (ids[0], ids[5])]
        assert [m.payload[:11] for m in again.pending()] == [
            _payload(i)[:11] for i in range(10) if i not in (0, 5)
        ]
        assert again.put("t", b"next") > ids[-1]


def test_ids_handed_out_from_memory_are_never_reused_once_the_disk_is_back(
    tmp_path: Path,
) -> None:
    with _open(tmp_path, retry_s=3600) as box:
        first = box.put("t", _payload(0))
        _fill(box)
        spilled = [box.put("t", _payload(i)) for i in (1, 2)]
        for msg_id in spilled:  # sent and acknowledged from memory
            box.ack(msg_id)
        _unfill(box)
        assert box.retry(force=True)
        later = box.put("t", _payload(3))
        assert later > max(spilled) > first  # a reused id would be skipped by the publisher
        assert [m.id for m in box.pending()] == [first, later]


def test_messages_the_memory_bound_pushes_out_are_counted_as_lost_and_persisted(
    tmp_path: Path,
) -> None:
    box = _open(tmp_path, spill_max_messages=3, retry_s=3600)
    box.put("t", _payload(0))
    _fill(box)
    ids = [box.put("t", _payload(i)) for i in range(1, 11)]
    health = box.health()
    assert health.lost == 7 and health.in_memory == 3
    assert box.dropped == 7  # reported on the stats topic
    assert [m.id for m in box.pending()][1:] == ids[-3:]  # drop_oldest kept the newest
    _unfill(box)
    assert box.retry(force=True)
    box.close()
    with _open(tmp_path) as again:
        assert again.dropped == 7 and again.depth() == 4


def test_drop_newest_refuses_new_messages_once_the_memory_bound_is_hit(tmp_path: Path) -> None:
    with _open(tmp_path, spill_max_messages=2, drop_policy="drop_newest") as box:
        box.put("t", _payload(0))
        _fill(box)
        got = [box.put("t", _payload(i)) for i in range(1, 5)]
        assert got[2:] == [0, 0] and 0 not in got[:2]
        assert box.health().lost == 2


def _corrupt(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(bytes([0xA5]) * length)


def _quarantined(folder: Path) -> list[Path]:
    return sorted(folder.glob("outbox.sqlite.corrupt-*"))


def test_a_damaged_header_at_start_is_set_aside_and_a_fresh_outbox_works(tmp_path: Path) -> None:
    with _open(tmp_path) as box:
        for i in range(20):
            box.put("t", _payload(i))
    _corrupt(tmp_path / "outbox.sqlite", 0, 100)
    with _open(tmp_path) as box:  # before the fix: PublishError (file is not a database)
        health = box.health()
        assert health.state == "ok" and health.quarantined == 1
        # Nothing in it can be read, not even how many alerts it held: said, not counted as 0.
        assert health.lost == 0 and health.salvage_incomplete == 1
        aside = _quarantined(tmp_path)
        assert len([p for p in aside if not p.name.endswith(("-wal", "-shm"))]) == 1, aside
        msg_id = box.put("t", b"after")
        assert [m.payload for m in box.pending()] == [b"after"] and msg_id > 0


def test_a_damaged_page_at_start_is_set_aside_and_what_is_readable_is_carried_over(
    tmp_path: Path,
) -> None:
    with _open(tmp_path) as box:
        ids = [box.put("t", _payload(i)) for i in range(40)]
    path = tmp_path / "outbox.sqlite"
    (page_size,) = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()
    size = path.stat().st_size
    # A page in the second half: part of the payload chain of some message, not the schema.
    _corrupt(path, (size // page_size // 2) * page_size, page_size)
    with _open(tmp_path) as box:
        health = box.health()
        assert health.state == "ok" and health.quarantined == 1
        kept = box.pending(limit=1000)
        assert [m.id for m in kept] == sorted(m.id for m in kept)
        assert {m.id for m in kept} <= set(ids)
        for m in kept:  # no damaged payload is passed on as if it were an alert
            assert m.payload == _payload(ids.index(m.id))
        assert health.lost >= 1 and len(kept) + health.lost == len(ids)  # each one accounted for
        assert box.dropped == health.lost  # and persisted in the fresh file's counter
        assert box.put("t", b"after") > max(ids)


def test_a_page_damaged_while_running_is_never_sent_and_the_file_is_set_aside(
    tmp_path: Path,
) -> None:
    with _open(tmp_path) as box:
        ids = [box.put("t", _payload(i)) for i in range(40)]
    box = _open(tmp_path, retry_s=3600)
    try:
        assert box._db is not None
        box._db.execute("PRAGMA cache_size = 1")  # pages are read from the file again
        path = tmp_path / "outbox.sqlite"
        (page_size,) = box._db.execute("PRAGMA page_size").fetchone()
        _corrupt(path, (path.stat().st_size // page_size // 2) * page_size, page_size)
        sent = box.pending(limit=1000)
        for m in sent:  # only intact messages go out, up to the damaged one
            assert m.payload == _payload(ids.index(m.id))
        health = box.health()
        assert health.state == "degraded" and "corrupt" in (health.reason or "")
        later = box.put("t", b"while damaged")  # kept in memory, still sent
        assert [m.id for m in box.pending(limit=1000, after_id=ids[-1])] == [later]
        assert box.retry(force=True)
        health = box.health()
        assert health.state == "ok" and health.quarantined == 1 and health.lost >= 1
        kept = [m.id for m in box.pending(limit=1000)]
        assert kept == sorted(kept) and kept[-1] == later
        assert len(kept) - 1 + health.lost == len(ids)  # every message accounted for
        assert len(_quarantined(tmp_path)) >= 1
    finally:
        box.close()


def test_rows_without_a_checksum_are_sent_live_and_carried_over_from_a_quarantined_file(
    tmp_path: Path,
) -> None:
    """One rule on both paths: a NULL crc (a row from before checksums) has nothing to check and
    is intact; a present but wrong crc is damage."""
    with _open(tmp_path) as box:
        ids = [box.put("t", _payload(i)) for i in range(5)]
    db = sqlite3.connect(tmp_path / "outbox.sqlite", isolation_level=None)
    db.execute("UPDATE messages SET crc = NULL WHERE id IN (?, ?)", (ids[0], ids[1]))
    db.execute("UPDATE messages SET crc = crc + 1 WHERE id = ?", (ids[3],))
    db.close()
    box = _open(tmp_path, retry_s=3600)
    try:
        # Live: up to the damaged row, the unchecked rows included.
        assert [m.id for m in box.pending(limit=100)] == ids[:3]
        assert "corrupt" in (box.health().reason or "")
        # Salvage of the set-aside file: the same rows intact, only the damaged one lost.
        assert box.retry(force=True)
        health = box.health()
        assert health.quarantined == 1 and health.lost == 1
        assert [m.id for m in box.pending(limit=100)] == [ids[0], ids[1], ids[2], ids[4]]
        assert [m.payload for m in box.pending(limit=2)] == [_payload(0), _payload(1)]
    finally:
        box.close()


def test_a_filesystem_full_at_start_leaves_the_outbox_in_memory_until_it_has_room(
    small_fs: Path,
) -> None:
    filler = fill_filesystem(small_fs)
    box = Outbox(small_fs / "state" / "outbox.sqlite", OutboxConfig(retry_s=3600))
    try:
        health = box.health()  # before the fix: PublishError (cannot open the SQLite database)
        assert health.state == "degraded"
        ids = [box.put("t", f"a{i}".encode()) for i in range(5)]
        assert [m.id for m in box.pending()] == ids
        filler.unlink()
        assert box.retry(force=True)
    finally:
        box.close()
    with Outbox(small_fs / "state" / "outbox.sqlite", OutboxConfig()) as again:
        assert [m.payload for m in again.pending()] == [f"a{i}".encode() for i in range(5)]


def test_a_filesystem_filling_up_mid_run_degrades_and_recovers_without_loss(
    small_fs: Path,
) -> None:
    box = Outbox(small_fs / "outbox.sqlite", OutboxConfig(retry_s=3600))
    try:
        ids = [box.put("t", f"a{i}".encode()) for i in range(3)]
        filler = fill_filesystem(small_fs)
        ids += [box.put("t", _payload(i)) for i in range(3, 40)]
        assert box.health().state == "degraded"
        assert box.health().lost == 0 and 0 not in ids
        filler.unlink()
        assert box.retry(force=True)
        assert [m.id for m in box.pending(limit=100)] == ids
    finally:
        box.close()


def test_a_damaged_outbox_found_while_the_disk_is_full_salvages_each_row_exactly_once(
    small_fs: Path,
) -> None:
    """Every retry on the still-full disk must not read the set-aside file again: each intact
    row is delivered once (memory, then the fresh file) and the damaged one counted lost once."""
    path = small_fs / "outbox.sqlite"
    with Outbox(path, OutboxConfig()) as box:
        ids = [box.put("t", _payload(i)) for i in range(8)]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE messages SET crc = crc + 1 WHERE id = ?", (ids[4],))
    db.close()
    intact = ids[:4] + ids[5:]
    box = Outbox(path, OutboxConfig(retry_s=3600))
    try:
        assert [m.id for m in box.pending(limit=100)] == ids[:4]  # up to the damaged one
        filler = fill_filesystem(small_fs)
        for _ in range(3):  # set aside and read back once, then no room for a fresh file
            assert not box.retry(force=True)
        health = box.health()
        assert (health.quarantined, health.lost, health.in_memory) == (1, 1, len(intact))
        assert [m.id for m in box.pending(limit=100)] == intact
        later = box.put("t", b"while full")
        filler.unlink()
        assert box.retry(force=True)
        delivered = [m.id for m in box.pending(limit=100)]
        assert delivered == [*intact, later]
        health = box.health()
        assert (health.quarantined, health.lost, health.in_memory) == (1, 1, 0)
        assert box.dropped == 1  # persisted once, not once per retry
    finally:
        box.close()
    on_disk = sqlite3.connect(path).execute("SELECT id FROM messages ORDER BY id").fetchall()
    assert [i for (i,) in on_disk] == [*intact, later]
    assert len([p for p in _quarantined(small_fs) if not p.name.endswith(("-wal", "-shm"))]) == 1


# -- end to end, with a real mosquitto --------------------------------------------------------


def _mqtt(broker: LocalBroker) -> MqttConfig:
    return MqttConfig(host=broker.host, port=broker.port, reconnect_min_s=0.2, reconnect_max_s=0.5)


def test_every_alert_reaches_a_real_broker_through_a_full_disk_and_a_broker_outage(
    broker: LocalBroker, tmp_path: Path
) -> None:
    sub = Subscriber(_mqtt(broker), "thermoseg/#", client_id="fault-dashboard", persistent=True)
    sub.start()
    assert sub.wait_subscribed(10)
    box = Outbox(tmp_path / "state" / "outbox.sqlite", OutboxConfig(retry_s=0.2))
    pub = MqttPublisher(_mqtt(broker), "pi-fault", box)
    pub.start()
    sent: list[dict[str, object]] = []
    seen: set[tuple[object, object]] = set()
    received: list[dict[str, object]] = []

    def raise_alerts(n: int) -> None:
        for _ in range(n):
            p = alert_payload(len(sent), device="pi-fault")
            sent.append(p)
            pub.publish_alert(p)

    try:
        assert pub.wait_connected(10)
        raise_alerts(5)
        received += collect(sub, len(sent), timeout=30, seen=seen)
        broker.stop()  # nothing is acknowledged (deleted) now, so the full disk stays full
        assert wait_for(lambda: not pub.connected, 10)
        _fill(box)
        for _ in range(50):  # the room left inside the table's pages is used up first
            raise_alerts(1)  # before the fix: sqlite3.OperationalError once it is used up
            if box.health().state == "degraded":
                break
        assert box.health().state == "degraded"
        raise_alerts(5)  # disk full and no broker: memory only
        broker.start()
        received += collect(sub, len(sent), timeout=30, seen=seen)  # sent from memory too
        raise_alerts(5)
        _unfill(box)
        time.sleep(0.3)  # let retry_s pass: the next alert writes the memory back first
        raise_alerts(5)
        assert box.health().state == "ok"
        received += collect(sub, len(sent), timeout=30, seen=seen)
        assert wait_for(lambda: box.depth() == 0, 15), box.health()
    finally:
        pub.stop()
        sub.stop()
        box.close()
    lost = box.health().lost
    assert lost == 0  # the memory bound was never reached
    got = dedup(received)  # type: ignore[arg-type]
    assert len(sent) == len(got) + lost
    assert [m["alert_id"] for m in got] == [p["alert_id"] for p in sent]  # order kept


def test_a_damaged_outbox_on_a_full_filesystem_keeps_what_it_read_back_in_memory(
    small_fs: Path,
) -> None:
    path = small_fs / "outbox.sqlite"
    with Outbox(path, OutboxConfig()) as box:  # few: the WAL must fit twice on 512 kB
        ids = [box.put("t", _payload(i)) for i in range(8)]
    box = Outbox(path, OutboxConfig(retry_s=3600))
    try:
        assert box._db is not None
        box._db.execute("PRAGMA cache_size = 1")  # pages are read from the file again
        where = path.read_bytes().index(b"alert-00004-")  # inside message 4's payload
        _corrupt(path, where + 12, 64)
        box.pending(limit=100)  # finds the damaged message (its checksum fails)
        assert "corrupt" in (box.health().reason or "")
        filler = fill_filesystem(small_fs)
        assert not box.retry(force=True)  # set aside and read back, but no room for a new file
        health = box.health()
        assert health.state == "degraded" and health.quarantined == 1
        kept = [m.id for m in box.pending(limit=100)]
        assert kept and set(kept) <= set(ids) and len(kept) + health.lost == len(ids)
        filler.unlink()
        assert box.retry(force=True)
        assert [m.id for m in box.pending(limit=100)] == kept
    finally:
        box.close()
