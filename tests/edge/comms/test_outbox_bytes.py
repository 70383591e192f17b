"""The outbox is bounded in bytes as well as in messages (snapshots are large)."""

from __future__ import annotations

from pathlib import Path

from edge.comms.outbox import Outbox, OutboxConfig


def test_drop_oldest_deletes_old_messages_until_the_new_payload_fits(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite", OutboxConfig(max_bytes=10_000)) as box:
        ids = [box.put(f"t/{i}", bytes(3000)) for i in range(3)]
        assert box.depth() == 3 and box.dropped == 0
        new = box.put("t/big", bytes(4500))  # 9 000 + 4 500 > 10 000: the two oldest go
        kept = [m.id for m in box.pending()]
        assert kept == [ids[2], new]
        assert box.dropped == 2


def test_drop_newest_refuses_the_message_that_does_not_fit(tmp_path: Path) -> None:
    cfg = OutboxConfig(max_bytes=5_000, drop_policy="drop_newest")
    with Outbox(tmp_path / "o.sqlite", cfg) as box:
        first = box.put("t/a", bytes(3000))
        assert box.put("t/b", bytes(3000)) == 0
        assert [m.id for m in box.pending()] == [first] and box.dropped == 1


def test_a_payload_larger_than_the_whole_bound_is_refused_and_nothing_else_lost(
    tmp_path: Path,
) -> None:
    with Outbox(tmp_path / "o.sqlite", OutboxConfig(max_bytes=2_000)) as box:
        kept = box.put("t/a", bytes(500))
        assert box.put("t/huge", bytes(5_000)) == 0
        assert [m.id for m in box.pending()] == [kept] and box.dropped == 1


def test_acknowledged_messages_free_their_bytes_for_new_ones(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite", OutboxConfig(max_bytes=10_000)) as box:
        first = [box.put("t/a", bytes(3000)) for _ in range(3)]
        for msg_id in first:
            box.ack(msg_id)
        kept = [box.put("t/b", bytes(3000)) for _ in range(3)]
        assert [m.id for m in box.pending()] == kept and box.dropped == 0


def test_the_byte_bound_holds_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    with Outbox(path, OutboxConfig(max_bytes=10_000)) as box:
        old = [box.put("t/a", bytes(3000)) for _ in range(3)]
    with Outbox(path, OutboxConfig(max_bytes=10_000)) as box:
        new = box.put("t/b", bytes(3000))
        assert [m.id for m in box.pending()] == [*old[1:], new] and box.dropped == 1
