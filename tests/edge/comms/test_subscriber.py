"""The reference Subscriber against a real mosquitto: JSON objects in, anything else dropped."""

from __future__ import annotations

import queue

import pytest

from edge.comms._paho import new_client
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker


def _raw_publish(cfg: MqttConfig, messages: list[tuple[str, bytes]]) -> None:
    client = new_client(cfg, "test-raw-publisher", clean_session=True)
    client.connect(*cfg.broker_list()[0])
    client.loop_start()
    try:
        for t, payload in messages:
            client.publish(t, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_only_json_objects_reach_the_queue_in_arrival_order(broker: LocalBroker) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port)
    sub = Subscriber(cfg, "t/#")
    sub.start()
    try:
        assert sub.wait_subscribed(10)
        _raw_publish(
            cfg,
            [
                ("t/a", b'{"n": 1}'),
                ("t/b", b"not json"),
                ("t/c", b"[1, 2]"),
                ("t/d", b"\xff\xfe"),
                ("t/e", b'{"n": 2}'),
            ],
        )
        assert sub.get(10) == ("t/a", {"n": 1})
        assert sub.get(10) == ("t/e", {"n": 2})
        with pytest.raises(queue.Empty):
            sub.get(0.5)
    finally:
        sub.stop()


def test_a_callback_receives_messages_instead_of_the_queue(broker: LocalBroker) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port)
    got: queue.Queue[tuple[str, dict[str, object]]] = queue.Queue()
    sub = Subscriber(cfg, ["x/1", "x/2"], on_message=lambda t, p: got.put((t, p)))
    sub.start()
    try:
        assert sub.wait_subscribed(10)
        _raw_publish(cfg, [("x/2", b'{"k": "v"}')])
        assert got.get(timeout=10) == ("x/2", {"k": "v"})
        assert sub.messages.empty()
    finally:
        sub.stop()


def test_a_subscriber_given_a_broker_list_receives_from_that_broker(broker: LocalBroker) -> None:
    # It connected to the unused default host (127.0.0.1:1883) and never heard a message.
    cfg = MqttConfig(brokers=[f"127.0.0.1:{broker.port}"])
    sub = Subscriber(cfg, "b/#")
    sub.start()
    try:
        assert sub.wait_subscribed(10), sub.last_error
        _raw_publish(MqttConfig(host=broker.host, port=broker.port), [("b/1", b'{"n": 3}')])
        assert sub.get(10) == ("b/1", {"n": 3})
    finally:
        sub.stop()


def test_a_persistent_subscriber_without_a_fixed_client_id_is_refused() -> None:
    with pytest.raises(ValueError, match="persistent subscriber needs a fixed client_id"):
        Subscriber(MqttConfig(), "t/#", persistent=True)
