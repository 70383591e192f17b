"""The example broker ACL (deploy/mosquitto/acl) on a real mosquitto: a device writes only its
own subtree, a dashboard reads everything but writes only acknowledgements and exam commands."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.comms.commands import CommandClient
from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload

ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"
USERS = {"pi-a": "pw-a-123", "pi-b": "pw-b-123", "dashboard": "pw-dash-123"}


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[LocalBroker]:
    broker = LocalBroker(users=USERS, acl_file=ACL, workdir=tmp_path / "mosquitto")
    broker.start()
    try:
        yield broker
    finally:
        broker.cleanup()


def _cfg(broker: LocalBroker, user: str) -> MqttConfig:
    return MqttConfig(
        host=broker.host, port=broker.port, username=user, password=USERS[user],  # type: ignore[arg-type]
        reconnect_min_s=0.2, reconnect_max_s=0.5,
    )  # fmt: skip


class Watch:
    """A subscriber as ``user``; ``until(topic)`` returns every topic seen up to that one."""

    def __init__(self, broker: LocalBroker, user: str, pattern: str) -> None:
        self.q: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.sub = Subscriber(_cfg(broker, user), pattern, on_raw=lambda t, b: self.q.put((t, b)))
        self.sub.start()
        assert self.sub.wait_subscribed(10), self.sub.last_error

    def until(self, topic: str, timeout: float = 10) -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                t, _ = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(t)
            if t == topic:
                return seen
        raise AssertionError(f"{topic} never arrived; saw {seen}")


def _send(broker: LocalBroker, user: str, *topics: str) -> None:
    """Publish in order (QoS 1); a denied publish is dropped silently by the broker (MQTT 3.1.1)."""
    client = CommandClient(_cfg(broker, user))
    client.start()
    try:
        for t in topics:
            client.publish(t, {"from": user})
    finally:
        client.stop()


def test_device_a_cannot_publish_as_device_b(secured: LocalBroker) -> None:
    watch = Watch(secured, "dashboard", "thermoseg/#")
    try:
        # Messages of one client arrive in order: once the last is seen, a denied one never will.
        _send(secured, "pi-a", "thermoseg/pi-b/alerts", "thermoseg/pi-b/status",
              "thermoseg/pi-a/alerts")  # fmt: skip
        assert watch.until("thermoseg/pi-a/alerts") == ["thermoseg/pi-a/alerts"]
    finally:
        watch.sub.stop()


def test_the_device_publisher_works_under_the_acl_and_reads_only_its_exam_commands(
    secured: LocalBroker, tmp_path: Path
) -> None:
    watch = Watch(secured, "dashboard", "thermoseg/+/alerts")
    exam_a = Watch(secured, "pi-a", "thermoseg/pi-a/exam/set")
    spy = Watch(secured, "pi-a", "thermoseg/#")  # a device reading other devices' traffic
    box = Outbox(tmp_path / "o.sqlite", OutboxConfig())
    pub = MqttPublisher(_cfg(secured, "pi-a"), "pi-a", box)
    pub.start()
    try:
        pub.publish_alert(alert_payload(1, device="pi-a"))
        assert watch.until("thermoseg/pi-a/alerts")
        _send(secured, "dashboard", "thermoseg/pi-a/exam/set")
        assert exam_a.until("thermoseg/pi-a/exam/set")
        _send(secured, "pi-b", "thermoseg/pi-b/alerts")
        assert watch.until("thermoseg/pi-b/alerts")
        time.sleep(0.5)
        seen = []
        while not spy.q.empty():
            seen.append(spy.q.get()[0])
        assert seen == ["thermoseg/pi-a/exam/set"]  # nothing of pi-b, not even its own alerts
    finally:
        pub.stop()
        box.close()
        for w in (watch, exam_a, spy):
            w.sub.stop()


def test_a_dashboard_cannot_publish_alerts_but_can_acknowledge_and_set_exams(
    secured: LocalBroker,
) -> None:
    watch = Watch(secured, "dashboard", "thermoseg/#")
    try:
        _send(secured, "dashboard", "thermoseg/pi-a/alerts", "thermoseg/pi-a/status",
              "thermoseg/pi-a/alerts/0123/snapshot", "thermoseg/pi-a/alerts/0123/ack",
              "thermoseg/pi-a/exam/set")  # fmt: skip
        assert watch.until("thermoseg/pi-a/exam/set") == [
            "thermoseg/pi-a/alerts/0123/ack",
            "thermoseg/pi-a/exam/set",
        ]
    finally:
        watch.sub.stop()
