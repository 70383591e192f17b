"""Storing an alert wakes the MQTT network thread: it does not wait for its next poll."""

from __future__ import annotations

from pathlib import Path

from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload, collect


class SlowPollPublisher(MqttPublisher):
    """A publisher whose network thread would otherwise sleep two minutes between looks."""

    POLL_S = 120.0


def test_each_stored_alert_is_sent_at_once_even_when_the_poll_is_minutes_long(
    broker: LocalBroker, tmp_path: Path
) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port, reconnect_min_s=0.2, max_inflight=2)
    sub = Subscriber(cfg, "thermoseg/+/alerts")
    sub.start()
    assert sub.wait_subscribed(10)
    outbox = Outbox(tmp_path / "outbox.sqlite", OutboxConfig())
    pub = SlowPollPublisher(cfg, "pi-wake", outbox)
    pub.start()
    try:
        assert pub.wait_connected(10)
        # One at a time: each alert is stored while the network thread sits in its long wait.
        for seq in range(4):
            sent = alert_payload(seq, device="pi-wake")
            pub.publish_alert(sent)
            got = collect(sub, 1, timeout=15)
            assert [m["alert_id"] for m in got] == [sent["alert_id"]]
        # A burst larger than the in-flight window: PUBACKs free the window, order is kept.
        burst = [alert_payload(10 + i, device="pi-wake") for i in range(5)]
        for p in burst:
            pub.publish_alert(p)
        got = collect(sub, 5, timeout=15)
        assert [m["alert_id"] for m in got] == [p["alert_id"] for p in burst]
    finally:
        pub.stop(timeout=5.0)  # the stop request wakes the thread too
        sub.stop()
    assert outbox.depth() == 0
    outbox.close()
