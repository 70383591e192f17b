"""Home Assistant discovery: the payloads HA expects, rendered as HA renders them, on a real broker."""

from __future__ import annotations

import json
import queue
import re
import time
from pathlib import Path

import pytest
from jinja2 import Environment

from edge.comms.config import MqttConfig
from edge.comms.homeassistant import discovery_messages
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher, status_payload
from edge.comms.subscriber import Subscriber
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload

DEVICE = "pi-ha"


def _render(template: str, payload: dict[str, object]) -> str:
    # HA renders value templates with Jinja2 and the message as `value_json`.
    return Environment().from_string(template).render(value_json=payload).strip()


def test_availability_renders_only_payload_available_or_not_available() -> None:
    for _topic, config in discovery_messages(DEVICE, "thermoseg"):
        allowed = {config["payload_available"], config["payload_not_available"]}
        rendered = {
            state: _render(config["availability_template"], status_payload(DEVICE, state, 0.0))
            for state in ("online", "offline", "stopped")
        }
        assert rendered == {"online": "online", "offline": "offline", "stopped": "offline"}
        assert set(rendered.values()) <= allowed


def test_configs_use_default_entity_id_origin_and_state_class() -> None:
    configs = dict(discovery_messages(DEVICE, "thermoseg"))
    for topic, config in configs.items():
        component = topic.split("/")[1]
        assert "object_id" not in config
        assert re.fullmatch(rf"{component}\.[a-z0-9_]+", config["default_entity_id"])
        assert config["origin"]["name"] == "thermoseg" and config["origin"]["sw_version"]
        if component == "sensor":
            assert config["state_class"] == "measurement"
            assert config["unit_of_measurement"]
    delta = configs[f"homeassistant/sensor/{DEVICE}/max_delta_t/config"]
    assert float(_render(delta["value_template"], alert_payload(1))) == pytest.approx(1.5)
    flag = configs[f"homeassistant/binary_sensor/{DEVICE}/abnormal/config"]
    assert _render(flag["value_template"], alert_payload(1, event="end")) == "OFF"
    assert _render(flag["value_template"], alert_payload(1, event="new")) == "ON"


def _retained(broker: LocalBroker, pattern: str, wait_s: float = 1.5) -> dict[str, bytes]:
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    sub = Subscriber(
        MqttConfig(host=broker.host, port=broker.port),
        pattern,
        on_raw=lambda t, b: got.put((t, b)),
    )
    sub.start()
    assert sub.wait_subscribed(10)
    time.sleep(wait_s)  # retained messages arrive right after SUBACK
    sub.stop()
    out: dict[str, bytes] = {}
    while not got.empty():
        t, b = got.get()
        out[t] = b
    return out


def _connect_once(broker: LocalBroker, tmp_path: Path, **kw: object) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port, **kw)  # type: ignore[arg-type]
    with Outbox(tmp_path / "outbox.sqlite", OutboxConfig()) as box:
        pub = MqttPublisher(cfg, DEVICE, box)
        pub.start()
        try:
            assert pub.wait_connected(10)
            time.sleep(0.3)
        finally:
            pub.stop()


def test_turning_discovery_off_clears_the_retained_configs_under_a_custom_prefix(
    broker: LocalBroker, tmp_path: Path
) -> None:
    _connect_once(broker, tmp_path, homeassistant=True, homeassistant_prefix="ha-test")
    configs = _retained(broker, f"ha-test/+/{DEVICE}/+/config")
    assert len(configs) == 3
    assert all(
        json.loads(b)["availability_topic"] == f"thermoseg/{DEVICE}/status"
        for b in configs.values()
    )

    _connect_once(broker, tmp_path, homeassistant=False, homeassistant_prefix="ha-test")
    assert _retained(broker, f"ha-test/+/{DEVICE}/+/config") == {}


def test_a_clean_stop_leaves_a_status_that_ha_renders_unavailable(
    broker: LocalBroker, tmp_path: Path
) -> None:
    _connect_once(broker, tmp_path, homeassistant=True)
    status = json.loads(
        _retained(broker, f"thermoseg/{DEVICE}/status")[f"thermoseg/{DEVICE}/status"]
    )
    assert status["state"] == "stopped"
    config = dict(discovery_messages(DEVICE, "thermoseg"))[
        f"homeassistant/sensor/{DEVICE}/fps/config"
    ]
    assert _render(config["availability_template"], status) == config["payload_not_available"]
