"""Home Assistant MQTT discovery: retained config messages describing a device's entities.

When ``mqtt.homeassistant`` is true the publisher sends these (retained, QoS 1) on every connect:

* ``binary_sensor`` *abnormal*: ON while an alert is open (events new/update), OFF on its end;
* ``sensor`` *max_delta_t*: the alert's largest warm-region temperature difference (°C);
* ``sensor`` *fps*: frames per second from the stats topic.

Availability follows the retained status topic. Entity names say "screening flag": thermoseg is a
screening aid and never diagnoses.
"""

from __future__ import annotations

from typing import Any

from edge import DISCLAIMER, __version__
from edge.comms.config import topic

__all__ = ["DISCOVERY_PREFIX", "discovery_messages"]

DISCOVERY_PREFIX = "homeassistant"


def discovery_messages(device_id: str, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(topic, payload) pairs to publish retained for ``device_id``."""
    device = {
        "identifiers": [f"thermoseg_{device_id}"],
        "name": f"thermoseg {device_id}",
        "manufacturer": "thermoseg",
        "model": "thermal screening aid (not a diagnostic device)",
        "sw_version": __version__,
    }
    common = {
        "device": device,
        "availability_topic": topic(prefix, device_id, "status"),
        "availability_template": "{{ value_json.state }}",
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    alert_topic = topic(prefix, device_id, "alerts")
    entities: list[tuple[str, str, dict[str, Any]]] = [
        (
            "binary_sensor",
            "abnormal",
            {
                "name": "Warm-region screening flag",
                "state_topic": alert_topic,
                "value_template": "{{ 'ON' if value_json.event in ['new', 'update'] else 'OFF' }}",
                "json_attributes_topic": alert_topic,
                "json_attributes_template": "{{ {'grade': value_json.grade, "
                "'alert_id': value_json.alert_id, 'disclaimer': value_json.disclaimer} | tojson }}",
            },
        ),
        (
            "sensor",
            "max_delta_t",
            {
                "name": "Warmest region ΔT",
                "state_topic": alert_topic,
                "value_template": "{{ value_json.max_delta_t_c }}",
                "unit_of_measurement": "°C",
            },
        ),
        (
            "sensor",
            "fps",
            {
                "name": "Frames per second",
                "state_topic": topic(prefix, device_id, "stats"),
                "value_template": "{{ value_json.fps }}",
                "entity_category": "diagnostic",
            },
        ),
    ]
    out: list[tuple[str, dict[str, Any]]] = []
    for component, object_id, extra in entities:
        payload = {
            **common,
            **extra,
            "unique_id": f"thermoseg_{device_id}_{object_id}",
            "object_id": f"thermoseg_{device_id}_{object_id}",
        }
        out.append((f"{DISCOVERY_PREFIX}/{component}/{device_id}/{object_id}/config", payload))
    # A disclaimer for anyone browsing the retained topics.
    out[0][1]["disclaimer"] = DISCLAIMER
    return out
