"""Home Assistant MQTT discovery: retained config messages describing a device's entities.

When ``mqtt.homeassistant`` is true the publisher sends these (retained, QoS 1) on every connect,
under ``mqtt.homeassistant_prefix`` (HA's ``discovery_prefix``, default ``homeassistant``):

* ``binary_sensor`` *abnormal*: ON while an alert is open (events new/update), OFF on its end;
* ``sensor`` *max_delta_t*: the alert's largest warm-region temperature difference (°C);
* ``sensor`` *fps*: frames per second from the stats topic.

When it is false, the publisher sends an empty retained payload on each config topic instead:
that is how HA is told to remove the entities (and how the broker forgets the retained configs).

Availability follows the retained status topic. HA compares the *rendered* availability value
with ``payload_available``/``payload_not_available`` and ignores anything else, so the template
maps both ``offline`` (last will) and ``stopped`` (clean exit) to ``offline``. Entity ids are
suggested with ``default_entity_id`` (``object_id`` is deprecated), every config carries an
``origin`` block, and numeric sensors a ``state_class``. Entity names say "screening flag":
thermoseg is a screening aid and never diagnoses.
"""

from __future__ import annotations

from typing import Any

from edge import DISCLAIMER, __version__
from edge.comms.config import topic

__all__ = ["DISCOVERY_PREFIX", "ORIGIN", "discovery_clears", "discovery_messages"]

DISCOVERY_PREFIX = "homeassistant"
ORIGIN = {
    "name": "thermoseg",
    "sw_version": __version__,
    "support_url": "https://github.com/thermoseg/thermoseg",
}
# HA's own vocabulary: what the template renders must equal one of these two.
AVAILABILITY_TEMPLATE = "{{ 'online' if value_json.state == 'online' else 'offline' }}"


def _entities(device_id: str, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    alert_topic = topic(prefix, device_id, "alerts")
    return [
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
                "state_class": "measurement",
                "suggested_display_precision": 2,
            },
        ),
        (
            "sensor",
            "fps",
            {
                "name": "Frames per second",
                "state_topic": topic(prefix, device_id, "stats"),
                "value_template": "{{ value_json.fps }}",
                "state_class": "measurement",
                "unit_of_measurement": "fps",
                "entity_category": "diagnostic",
            },
        ),
    ]


def _config_topic(discovery_prefix: str, component: str, device_id: str, object_id: str) -> str:
    return f"{discovery_prefix.strip('/')}/{component}/{device_id}/{object_id}/config"


def discovery_messages(
    device_id: str, prefix: str, discovery_prefix: str = DISCOVERY_PREFIX
) -> list[tuple[str, dict[str, Any]]]:
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
        "origin": dict(ORIGIN),
        "availability_topic": topic(prefix, device_id, "status"),
        "availability_template": AVAILABILITY_TEMPLATE,
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    out: list[tuple[str, dict[str, Any]]] = []
    for component, object_id, extra in _entities(device_id, prefix):
        slug = f"thermoseg_{device_id}_{object_id}".replace("-", "_").lower()
        payload = {
            **common,
            **extra,
            "unique_id": f"thermoseg_{device_id}_{object_id}",
            "default_entity_id": f"{component}.{slug}",
        }
        out.append((_config_topic(discovery_prefix, component, device_id, object_id), payload))
    # A disclaimer for anyone browsing the retained topics.
    out[0][1]["disclaimer"] = DISCLAIMER
    return out


def discovery_clears(
    device_id: str, prefix: str, discovery_prefix: str = DISCOVERY_PREFIX
) -> list[str]:
    """The config topics to clear (empty retained payload) when discovery is turned off."""
    return [t for t, _ in discovery_messages(device_id, prefix, discovery_prefix)]
