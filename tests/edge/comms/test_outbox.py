"""Outbox: the persistent, bounded FIFO that alerts pass through before MQTT."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge.comms.outbox import Outbox, OutboxConfig
from edge.errors import PublishError


def _open(path: Path, **cfg: object) -> Outbox:
    return Outbox(path / "outbox.sqlite", OutboxConfig(**cfg))  # type: ignore[arg-type]


def test_pending_returns_messages_in_the_order_they_were_put(tmp_path: Path) -> None:
    with _open(tmp_path) as box:
        ids = [box.put(f"t/{i}", f"p{i}".encode()) for i in range(5)]
        assert ids == sorted(ids) and len(set(ids)) == 5
        got = box.pending()
        assert [m.id for m in got] == ids
        assert [m.topic for m in got] == [f"t/{i}" for i in range(5)]
        assert [m.payload for m in got] == [f"p{i}".encode() for i in range(5)]
        assert all(m.qos == 1 for m in got)


def test_pending_pages_with_limit_and_after_id(tmp_path: Path) -> None:
    with _open(tmp_path) as box:
        ids = [box.put("t", b"x") for _ in range(7)]
        first = box.pending(limit=3)
        assert [m.id for m in first] == ids[:3]
        rest = box.pending(limit=100, after_id=first[-1].id)
        assert [m.id for m in rest] == ids[3:]


def test_ack_removes_only_the_acknowledged_message(tmp_path: Path) -> None:
    with _open(tmp_path) as box:
        a, b, c = (box.put("t", bytes([i])) for i in range(3))
        box.ack(b)
        assert [m.id for m in box.pending()] == [a, c]
        assert box.depth() == 2
        box.ack(b)  # a duplicate PUBACK is harmless
        box.ack(12345)
        assert box.depth() == 2


def test_unacknowledged_messages_survive_closing_and_reopening(tmp_path: Path) -> None:
    box = _open(tmp_path)
    a = box.put("alerts", b"first")
    b = box.put("alerts", b"second")
    box.ack(a)
    box.close()
    box.close()  # safe twice
    with _open(tmp_path) as again:
        assert [(m.id, m.payload) for m in again.pending()] == [(b, b"second")]
        # New ids keep increasing after a restart so the order stays global.
        assert again.put("alerts", b"third") > b


def test_drop_oldest_keeps_the_newest_messages_and_counts_each_drop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="edge.comms.outbox"),
        _open(tmp_path, max_messages=3) as box,
    ):
        for i in range(5):
            box.put("t", str(i).encode())
        assert [m.payload for m in box.pending()] == [b"2", b"3", b"4"]
        assert box.dropped == 2
        assert box.depth() == 3
    assert sum("OLDEST" in r.getMessage() for r in caplog.records) == 2


def test_drop_newest_refuses_new_messages_when_full_and_counts_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="edge.comms.outbox"),
        _open(tmp_path, max_messages=2, drop_policy="drop_newest") as box,
    ):
        assert box.put("t", b"0") > 0
        assert box.put("t", b"1") > 0
        assert box.put("t", b"2") == 0
        assert [m.payload for m in box.pending()] == [b"0", b"1"]
        assert box.dropped == 1
    assert any("NEW message" in r.getMessage() for r in caplog.records)


def test_dropped_counter_persists_across_reopen(tmp_path: Path) -> None:
    with _open(tmp_path, max_messages=1) as box:
        box.put("t", b"a")
        box.put("t", b"b")
        assert box.dropped == 1
    with _open(tmp_path, max_messages=1) as box:
        assert box.dropped == 1


def test_outbox_in_an_unwritable_place_raises_publish_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PublishError, match="outbox"):
        Outbox(blocker / "outbox.sqlite", OutboxConfig())


def test_closed_outbox_raises_publish_error(tmp_path: Path) -> None:
    box = _open(tmp_path)
    box.close()
    with pytest.raises(PublishError, match="closed"):
        box.put("t", b"x")


def test_config_rejects_unknown_keys_and_bad_policy() -> None:
    with pytest.raises(ValueError):
        OutboxConfig(max_messages=10, drop="x")  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        OutboxConfig(drop_policy="drop_random")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OutboxConfig(max_messages=0)
