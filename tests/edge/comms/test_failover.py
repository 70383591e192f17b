"""Several brokers: failover between two real mosquitto instances keeps every alert, in order."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.comms.config import MqttConfig, parse_broker
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker, free_port
from tests.edge.mqtt_helpers import alert_payload, collect, wait_for

DEVICE = "pi-failover"


@pytest.fixture
def two_brokers(tmp_path: Path) -> Iterator[tuple[LocalBroker, LocalBroker]]:
    a = LocalBroker(workdir=tmp_path / "a")
    b = LocalBroker(workdir=tmp_path / "b")
    a.start()
    b.start()
    try:
        yield a, b
    finally:
        a.cleanup()
        b.cleanup()


def _subscriber(broker: LocalBroker) -> Subscriber:
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), f"thermoseg/{DEVICE}/alerts")
    sub.start()
    assert sub.wait_subscribed(10), sub.last_error
    return sub


def test_broker_entries_parse_with_default_port_and_ipv6() -> None:
    assert parse_broker("mqtt-a.clinic", 8883) == ("mqtt-a.clinic", 8883)
    assert parse_broker("10.0.0.2:1884", 8883) == ("10.0.0.2", 1884)
    assert parse_broker("[fd00::2]:8883", 1883) == ("fd00::2", 8883)
    for bad in ("a b", "host:99999", "host:port", ""):
        with pytest.raises(ValueError, match="broker"):
            parse_broker(bad, 1883)
    with pytest.raises(ValueError, match="either host or brokers"):
        MqttConfig(host="a", brokers=["b"])


def test_host_is_unset_by_default_and_the_single_broker_is_then_loopback() -> None:
    assert MqttConfig().host is None
    assert MqttConfig().broker_list() == [("127.0.0.1", 1883)]
    assert MqttConfig(host="broker.lan", port=8883).broker_list() == [("broker.lan", 8883)]
    assert MqttConfig(brokers=["a.lan", "b.lan:1884"], port=8883).broker_list() == [
        ("a.lan", 8883),
        ("b.lan", 1884),
    ]
    # Spelling out the default is still a host: refused beside brokers.
    with pytest.raises(ValueError, match="either host or brokers"):
        MqttConfig(host="127.0.0.1", brokers=["b"])


def test_alerts_fail_over_to_the_second_broker_in_order_when_the_first_stops(
    tmp_path: Path, two_brokers: tuple[LocalBroker, LocalBroker], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = two_brokers
    caplog.set_level(logging.INFO, logger="edge.comms.publisher")
    cfg = MqttConfig(
        brokers=[f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"],
        reconnect_min_s=0.2,
        reconnect_max_s=0.5,
        connect_timeout_s=2.0,
    )
    outbox = Outbox(tmp_path / "outbox.sqlite3", OutboxConfig())
    pub = MqttPublisher(cfg, DEVICE, outbox)
    sub_a, sub_b = _subscriber(a), _subscriber(b)
    try:
        pub.start()
        assert pub.wait_connected(10), pub.last_error
        assert pub.where == f"127.0.0.1:{a.port}"  # the first listed is preferred
        for seq in range(5):
            pub.publish_alert(alert_payload(seq, device=DEVICE))
        got_a = collect(sub_a, 5, timeout=15)
        assert [m["frame_sequence"] for m in got_a] == [0, 1, 2, 3, 4]
        sub_a.stop()
        a.stop()
        # Stored while the first broker is gone: they must reach the second, in order.
        for seq in range(5, 15):
            pub.publish_alert(alert_payload(seq, device=DEVICE))
        got_b = collect(sub_b, 10, timeout=30)
        assert [m["frame_sequence"] for m in got_b] == list(range(5, 15))
        assert pub.where == f"127.0.0.1:{b.port}"
        assert wait_for(lambda: outbox.depth() == 0, 10)
    finally:
        pub.stop(5.0)
        sub_b.stop()
        outbox.close()
    text = caplog.text
    assert f"trying broker 2 of 2, 127.0.0.1:{b.port}" in text
    assert f"MQTT connected to 127.0.0.1:{b.port}" in text and "broker 2 of 2" in text


def test_with_no_broker_up_the_alerts_wait_and_go_to_the_first_that_comes_back(
    tmp_path: Path,
) -> None:
    down = free_port()
    late = LocalBroker(workdir=tmp_path / "late")
    cfg = MqttConfig(
        brokers=[f"127.0.0.1:{down}", f"127.0.0.1:{late.port}"],
        reconnect_min_s=0.2,
        reconnect_max_s=0.5,
        connect_timeout_s=2.0,
    )
    outbox = Outbox(tmp_path / "outbox.sqlite3", OutboxConfig())
    pub = MqttPublisher(cfg, DEVICE, outbox)
    try:
        pub.start()
        for seq in range(6):
            pub.publish_alert(alert_payload(seq, device=DEVICE))
        assert not pub.wait_connected(1.0)
        assert outbox.depth() == 6
        late.start()
        sub = _subscriber(late)
        # The subscriber may miss what was sent before it subscribed: check via the outbox.
        assert pub.wait_connected(15), pub.last_error
        pub.publish_alert(alert_payload(6, device=DEVICE))
        got = [m["frame_sequence"] for m in collect(sub, 7, timeout=5)]
        assert got[-1] == 6 and got == sorted(got)  # whatever it saw of 0..5 came first, in order
        sub.stop()
        assert wait_for(lambda: outbox.depth() == 0, 10)
    finally:
        pub.stop(5.0)
        outbox.close()
        late.cleanup()
