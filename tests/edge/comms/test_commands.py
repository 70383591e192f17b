"""CommandClient against a real mosquitto: it publishes to the broker its config names."""

from __future__ import annotations

import pytest

from edge.comms.commands import CommandClient
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.errors import PublishError
from edge.testing.broker import LocalBroker, free_port


def test_a_command_client_given_a_broker_list_publishes_to_its_first_broker(
    broker: LocalBroker,
) -> None:
    # It connected to the unused default host (127.0.0.1:1883) instead.
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), "cmd/#")
    sub.start()
    try:
        assert sub.wait_subscribed(10), sub.last_error
        client = CommandClient(MqttConfig(brokers=[f"127.0.0.1:{broker.port}"]))
        client.start()
        try:
            client.publish("cmd/x", {"k": 1})
        finally:
            client.stop()
        assert sub.get(10) == ("cmd/x", {"k": 1})
    finally:
        sub.stop()


def test_a_command_client_that_cannot_connect_names_the_broker_it_tried() -> None:
    down = free_port()
    client = CommandClient(MqttConfig(brokers=[f"127.0.0.1:{down}"], connect_timeout_s=1.0))
    with pytest.raises(PublishError, match=f"cannot connect to 127.0.0.1:{down}"):
        client.start(timeout=1.0)
