"""Sending commands and acknowledgements: one long-lived client that publishes and waits for
the broker's PUBACK (``thermoseg-edge exam``, the dashboard's acknowledgements).

Unlike the device publisher there is no outbox: the caller is a person at a screen or a shell,
who sees at once whether the broker took the message.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from typing import Any

from edge.comms._paho import Client, new_client, refusal_reason
from edge.comms.config import MqttConfig, broker_address
from edge.errors import PublishError

__all__ = ["CommandClient"]

log = logging.getLogger(__name__)


class CommandClient:
    """Publishes JSON (QoS 1) and waits for PUBACK; reconnects in the background.

    Like :class:`~edge.comms.subscriber.Subscriber` it uses the first of ``cfg.broker_list()``
    only (no failover walk).
    """

    def __init__(self, cfg: MqttConfig, client_id: str | None = None) -> None:
        self.cfg = cfg
        self._host, self._port = cfg.broker_list()[0]
        self.where = broker_address(self._host, self._port)
        cid = client_id or f"thermoseg-cmd-{random.getrandbits(48):012x}"
        self._client = new_client(cfg, cid, clean_session=True)
        self._client.reconnect_delay_set(1, 5)
        self._client.on_connect = self._on_connect
        self._connected = threading.Event()
        self.last_error: str | None = None

    def _on_connect(self, client: Client, u: Any, f: Any, reason_code: Any, p: Any) -> None:
        if reason_code.is_failure:
            self.last_error = refusal_reason(reason_code)
            return
        self.last_error = None
        self._connected.set()

    def start(self, timeout: float = 10.0) -> None:
        """Connect; PublishError when the broker does not accept us within ``timeout``."""
        self._client.connect_async(self._host, self._port, self.cfg.keepalive)
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self.stop()
            why = self.last_error or "no answer"
            raise PublishError(f"cannot connect to {self.where}: {why}")

    def publish(
        self,
        topic: str,
        payload: dict[str, Any] | None,
        *,
        retain: bool = False,
        timeout: float = 10.0,
    ) -> None:
        """Publish ``payload`` as JSON (None: an empty payload) and wait for the PUBACK."""
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        info = self._client.publish(topic, data, qos=1, retain=retain)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            raise PublishError(f"publish on {topic} failed: {exc}") from exc
        if not info.is_published():
            raise PublishError(f"publish on {topic}: no PUBACK within {timeout:g} s")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
