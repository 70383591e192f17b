"""The one module that imports paho-mqtt: a configured client factory and CONNACK wording.

Everything else in edge talks to paho through the names re-exported here, so a paho upgrade
(or a swap of MQTT library) touches one file.
"""

from __future__ import annotations

import ssl
from typing import Any

from paho.mqtt.client import Client, MQTTMessage, MQTTv311, error_string
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from edge.comms.config import MqttConfig

__all__ = ["Client", "MQTTErrorCode", "MQTTMessage", "error_string", "new_client", "refusal_reason"]

_REFUSALS = {
    132: "unsupported protocol version",
    133: "client identifier rejected (is another device using the same client_id?)",
    134: "bad user name or password",
    135: "not authorised (wrong or missing user name/password, or this user may not connect)",
    136: "server unavailable",
}


def refusal_reason(reason_code: Any) -> str:
    """A sentence for a CONNACK refusal, e.g. ``broker refused: bad user name or password``."""
    value = getattr(reason_code, "value", reason_code)
    return f"broker refused: {_REFUSALS.get(int(value), f'reason code {value} ({reason_code})')}"


def new_client(cfg: MqttConfig, client_id: str, clean_session: bool) -> Client:
    """A paho client with credentials and TLS applied (ConfigError for missing secrets/files)."""
    client = Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=MQTTv311,
    )
    client.connect_timeout = cfg.connect_timeout_s
    # The publisher never hands paho more than max_inflight outbox messages; the headroom is for
    # the status and discovery messages sent on connect. paho thus never holds a large copy.
    client.max_inflight_messages_set(cfg.max_inflight + 8)
    client.max_queued_messages_set(cfg.max_inflight + 16)
    if cfg.username is not None:
        client.username_pw_set(cfg.username, cfg.resolve_password())
    if cfg.tls is not None:
        cfg.tls.check_files()
        key = cfg.tls.resolve_key()
        client.tls_set(
            ca_certs=str(cfg.tls.ca) if cfg.tls.ca else None,
            certfile=str(cfg.tls.cert) if cfg.tls.cert else None,
            keyfile=str(key) if key else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.tls_insecure_set(cfg.tls.insecure)
    return client
