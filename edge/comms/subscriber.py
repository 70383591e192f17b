"""The reference MQTT subscriber: JSON messages on topic patterns, for ``listen``, dashboards
and tests (QoS 1; optionally a persistent broker session)."""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

from edge.comms._paho import Client, MQTTMessage, new_client, refusal_reason
from edge.comms.config import MqttConfig, broker_address

__all__ = ["Subscriber"]

log = logging.getLogger(__name__)


class Subscriber:
    """Receives JSON messages on topic patterns (QoS 1); for ``listen``, dashboards and tests.

    Messages go to ``on_raw(topic, bytes)`` when given (binary payloads too), else to
    ``on_message(topic, payload)`` when given, else to :attr:`messages` (a queue of
    ``(topic, payload dict)``). ``persistent=True`` keeps the broker session (and the
    messages queued for it while this client is away) across reconnects.

    It connects to the first of ``cfg.broker_list()`` only: paho's background loop retries the
    one address it was given, and the publisher's failover walk belongs to its own network
    thread. With ``mqtt.brokers`` set, a subscriber follows the first (preferred) broker.
    """

    def __init__(
        self,
        cfg: MqttConfig,
        patterns: str | Sequence[str],
        *,
        client_id: str | None = None,
        persistent: bool = False,
        on_message: Callable[[str, dict[str, Any]], None] | None = None,
        on_raw: Callable[[str, bytes], None] | None = None,
    ) -> None:
        if persistent and not client_id:
            raise ValueError("a persistent subscriber needs a fixed client_id")
        self.cfg = cfg
        self._host, self._port = cfg.broker_list()[0]
        self.where = broker_address(self._host, self._port)
        self.patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._on_message_cb = on_message
        self._on_raw_cb = on_raw  # every message's bytes, JSON or not (snapshots, cleared configs)
        self._subscribed = threading.Event()
        self._answered = threading.Event()  # SUBACK or a refused CONNACK
        self.last_error: str | None = None
        cid = client_id or f"thermoseg-sub-{random.getrandbits(48):012x}"
        self._client = new_client(cfg, cid, clean_session=not persistent)
        self._client.reconnect_delay_set(1, 5)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        self._client.connect_async(self._host, self._port, self.cfg.keepalive)
        self._client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        """True once subscribed; False after ``timeout`` or as soon as the broker refuses us."""
        self._answered.wait(timeout)
        return self._subscribed.is_set()

    def get(self, timeout: float) -> tuple[str, dict[str, Any]]:
        """The next message; :class:`queue.Empty` after ``timeout`` seconds."""
        return self.messages.get(timeout=timeout)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: Client, u: Any, f: Any, reason_code: Any, p: Any) -> None:
        if reason_code.is_failure:
            self.last_error = refusal_reason(reason_code)
            log.error("MQTT %s: %s", self.where, self.last_error)
            self._answered.set()
            return
        self.last_error = None
        client.subscribe([(pat, 1) for pat in self.patterns])

    def _on_disconnect(self, *_: Any) -> None:
        self._subscribed.clear()
        self._answered.clear()

    def _on_subscribe(self, client: Client, u: Any, mid: int, codes: Any, p: Any) -> None:
        self._subscribed.set()
        self._answered.set()

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        if self._on_raw_cb is not None:
            self._on_raw_cb(msg.topic, bytes(msg.payload))
            return
        try:
            payload = json.loads(msg.payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("ignoring a non-JSON message on %s (%d bytes)", msg.topic, len(msg.payload))
            return
        if not isinstance(payload, dict):
            log.warning(
                "ignoring a JSON %s on %s; expected an object", type(payload).__name__, msg.topic
            )
            return
        if self._on_message_cb is not None:
            self._on_message_cb(msg.topic, payload)
        else:
            self.messages.put((msg.topic, payload))
