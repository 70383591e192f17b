"""MqttPublisher against a real mosquitto: delivery, outages, restarts, last will, credentials."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.comms.config import MqttConfig, topic
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.schemas import validate
from edge.comms.subscriber import Subscriber
from edge.errors import ConfigError, PublishError
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import (
    alert_payload,
    collect,
    dedup,
    read_line,
    start_publisher_process,
    wait_for,
)

DEVICE = "pi-test"


def _cfg(broker: LocalBroker, **kw: object) -> MqttConfig:
    return MqttConfig(
        host=broker.host, port=broker.port, reconnect_min_s=0.2, reconnect_max_s=0.5, **kw
    )  # type: ignore[arg-type]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "state" / "outbox.sqlite", OutboxConfig())
    yield box
    box.close()


@pytest.fixture
def subscriber(broker: LocalBroker) -> Iterator[Subscriber]:
    sub = Subscriber(_cfg(broker), "thermoseg/#", client_id="test-dashboard", persistent=True)
    sub.start()
    assert sub.wait_subscribed(10), "subscriber could not subscribe"
    yield sub
    sub.stop()


def test_published_alerts_arrive_in_order_and_validate_against_the_schema(
    broker: LocalBroker, subscriber: Subscriber, outbox: Outbox
) -> None:
    pub = MqttPublisher(_cfg(broker, max_inflight=2), DEVICE, outbox)
    pub.start()
    try:
        sent = [alert_payload(i) for i in range(6)]
        for p in sent:
            pub.publish_alert(p)
        got = dedup(collect(subscriber, 6, timeout=15))
    finally:
        pub.stop()
    assert [m["alert_id"] for m in got] == [p["alert_id"] for p in sent]
    for m in got:
        validate("alert", m)
    assert outbox.depth() == 0


def test_status_is_online_while_connected_and_stopped_after_a_clean_stop(
    broker: LocalBroker, subscriber: Subscriber, outbox: Outbox
) -> None:
    pub = MqttPublisher(_cfg(broker), DEVICE, outbox)
    pub.start()
    assert pub.wait_connected(10)
    online = collect(subscriber, 1, timeout=10, leaf="/status")
    pub.stop()
    pub.stop()  # safe twice
    stopped = collect(subscriber, 1, timeout=10, leaf="/status")
    assert [m["state"] for m in online + stopped] == ["online", "stopped"]
    for m in online + stopped:
        validate("status", m)
    assert not pub.connected


def test_alerts_raised_while_the_broker_is_down_arrive_exactly_once_after_restart(
    broker: LocalBroker, subscriber: Subscriber, outbox: Outbox
) -> None:
    pub = MqttPublisher(_cfg(broker), DEVICE, outbox)
    pub.start()
    try:
        before = [alert_payload(i) for i in range(3)]
        for p in before:
            pub.publish_alert(p)
        seen: set[tuple[object, object]] = set()
        received = collect(subscriber, 3, timeout=15, seen=seen)
        assert len(seen) == 3
        assert wait_for(lambda: outbox.depth() == 0, 10)  # every PUBACK is in

        broker.stop()
        assert wait_for(lambda: not pub.connected, 10)
        during = [alert_payload(10 + i) for i in range(5)]
        for p in during:
            pub.publish_alert(p)
        assert outbox.depth() == 5  # stored, not lost, while nothing can be delivered
        broker.start()

        # The subscriber's persistent session kept its subscription across the restart.
        received += collect(subscriber, 8, timeout=30, seen=seen)
    finally:
        pub.stop()
    # QoS 1 is at-least-once: after dedup by (alert_id, event) each alert arrives once, in order.
    assert [m["alert_id"] for m in dedup(received)] == [p["alert_id"] for p in before + during]
    assert outbox.depth() == 0


def test_a_publisher_killed_with_sigkill_resends_its_outbox_when_restarted(
    broker: LocalBroker, tmp_path: Path
) -> None:
    box = tmp_path / "proc-outbox.sqlite"
    broker.stop()  # nothing can be acknowledged while the first process lives
    first = start_publisher_process(tmp_path, broker.port, box, 4, "idle")
    try:
        assert read_line(first, "QUEUED", 30) == "QUEUED 4"
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)

    broker.start()
    sub = Subscriber(_cfg(broker), topic("thermoseg", "pi-proc", "alerts"))
    sub.start()
    assert sub.wait_subscribed(10)
    second = start_publisher_process(tmp_path, broker.port, box, 0, "drain")
    try:
        assert read_line(second, "DRAINED", 60) == "DRAINED 0"
        got = dedup(collect(sub, 4, timeout=15))
    finally:
        second.kill()
        second.wait(10)
        sub.stop()
    assert [m["frame_sequence"] for m in got] == [0, 1, 2, 3]


def test_last_will_offline_is_published_when_the_publisher_process_dies(
    broker: LocalBroker, tmp_path: Path
) -> None:
    sub = Subscriber(_cfg(broker), topic("thermoseg", "pi-proc", "status"))
    sub.start()
    assert sub.wait_subscribed(10)
    proc = start_publisher_process(tmp_path, broker.port, tmp_path / "o.sqlite", 0, "connect")
    try:
        read_line(proc, "CONNECTED", 30)
        assert [m["state"] for m in collect(sub, 1, 10, leaf="/status")] == ["online"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # A QoS 1 re-delivery of "online" may still come first on a loaded machine: wait for the
    # will itself, and accept nothing but "online" before it.
    will: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    try:
        while not any(m["state"] == "offline" for m in will) and time.monotonic() < deadline:
            will += collect(sub, 1, timeout=1, leaf="/status")
    finally:
        sub.stop()
    states = [m["state"] for m in will]
    assert states and states[-1] == "offline" and set(states[:-1]) <= {"online"}, states
    validate("status", will[-1])


def test_wrong_password_is_reported_clearly_and_the_publisher_keeps_retrying(
    tmp_path: Path, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalBroker(users={"edge": "right-password"}, workdir=tmp_path / "b") as b:
        cfg = _cfg(b, username="edge", password="wrong-password")
        pub = MqttPublisher(cfg, DEVICE, outbox)
        with caplog.at_level(logging.DEBUG):
            pub.start()
            try:
                assert wait_for(lambda: pub.last_error is not None, 15)
                assert pub.last_error is not None
                assert "broker refused" in pub.last_error
                assert "password" in pub.last_error
                assert not pub.connected
                errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
                assert any(f"{b.host}:{b.port}" in e and "edge" in e for e in errors)
                assert "wrong-password" not in caplog.text

                # The broker's password changes to the one the device has: it gets in by itself.
                b.users = {"edge": "wrong-password"}
                b.stop()
                b.start()
                assert pub.wait_connected(20)
                assert pub.last_error is None
            finally:
                pub.stop()


def test_invalid_alert_is_refused_naming_the_field_and_not_stored(
    broker: LocalBroker, outbox: Outbox
) -> None:
    pub = MqttPublisher(_cfg(broker), DEVICE, outbox)
    bad = alert_payload(1)
    bad["event"] = "maybe"
    with pytest.raises(PublishError, match="event"):
        pub.publish_alert(bad)
    assert outbox.depth() == 0


def test_stats_are_published_but_never_stored(
    broker: LocalBroker, subscriber: Subscriber, outbox: Outbox
) -> None:
    stats = {
        "schema": "thermoseg.stats/1",
        "device": DEVICE,
        "timestamp": "2024-01-01T00:00:00.000Z",
        "uptime_s": 1.0,
        "fps": 8.5,
        "frames": 10,
        "frames_bad": 0,
        "queue_drops": 0,
        "latency_ms": {
            s: {"p50": 1.0, "p99": None} for s in ("preprocess", "segment", "analyse", "total")
        },
        "outbox_depth": 0,
        "outbox_dropped": 0,
        "camera": {"type": "replay", "state": "running", "reopens": 0},
        "mqtt_connected": True,
    }
    pub = MqttPublisher(_cfg(broker), DEVICE, outbox)
    pub.start()
    try:
        assert pub.wait_connected(10)
        pub.publish_stats(stats)
        got = collect(subscriber, 1, timeout=10, leaf="/stats")
    finally:
        pub.stop()
    assert got == [stats]
    assert outbox.depth() == 0


def test_home_assistant_discovery_configs_are_retained_when_enabled(
    broker: LocalBroker, outbox: Outbox
) -> None:
    pub = MqttPublisher(_cfg(broker, homeassistant=True), DEVICE, outbox)
    pub.start()
    try:
        assert pub.wait_connected(10)
    finally:
        pub.stop()
    # A dashboard that subscribes later still gets them: they are retained.
    late = Subscriber(_cfg(broker), f"homeassistant/+/{DEVICE}/+/config")
    late.start()
    try:
        configs = collect(late, 3, timeout=10, leaf="/config")
    finally:
        late.stop()
    by_id = {c["unique_id"]: c for c in configs}
    abnormal = by_id[f"thermoseg_{DEVICE}_abnormal"]
    assert abnormal["state_topic"] == f"thermoseg/{DEVICE}/alerts"
    assert "diagnose" in abnormal["disclaimer"]


def test_password_comes_from_env_or_credential_and_is_never_in_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = MqttConfig(username="edge", password="hunter22")  # type: ignore[arg-type]
    assert "hunter22" not in repr(cfg) and "hunter22" not in str(cfg.model_dump())
    assert cfg.resolve_password() == "hunter22"

    monkeypatch.setenv("THERMOSEG_TEST_PW", "from-env")
    assert (
        MqttConfig(username="edge", password_env="THERMOSEG_TEST_PW").resolve_password()
        == "from-env"
    )

    (tmp_path / "mqtt-password").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    cred = MqttConfig(username="edge", password_credential="mqtt-password")
    assert cred.resolve_password() == "from-credential"
    # What the unit's SetCredential= fallback leaves when /etc/thermoseg/mqtt-password is missing.
    (tmp_path / "mqtt-password").write_text("\n")
    with pytest.raises(ConfigError, match=r"mqtt\.password_credential.*empty.*LoadCredential"):
        cred.resolve_password()
    (tmp_path / "mqtt-password").write_text("from-credential\n")


def test_missing_password_sources_raise_config_error_naming_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("THERMOSEG_UNSET_PW", raising=False)
    with pytest.raises(ConfigError, match=r"mqtt\.password_env.*THERMOSEG_UNSET_PW"):
        MqttConfig(username="edge", password_env="THERMOSEG_UNSET_PW").resolve_password()
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"mqtt\.password_credential.*CREDENTIALS_DIRECTORY"):
        MqttConfig(username="edge", password_credential="pw").resolve_password()


def test_config_rejects_wildcard_prefixes_and_two_password_sources() -> None:
    with pytest.raises(ValueError, match="topic_prefix"):
        MqttConfig(topic_prefix="thermo/#")
    with pytest.raises(ValueError, match="only one"):
        MqttConfig(username="u", password="p", password_env="X")  # type: ignore[arg-type]
    assert topic("thermoseg", "pi-01", "alerts") == "thermoseg/pi-01/alerts"
    assert json.loads(json.dumps(MqttConfig().model_dump(mode="json")))["client_id"] is None
