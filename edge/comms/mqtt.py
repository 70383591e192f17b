"""MQTT publishing with store-and-forward; the only module that imports paho-mqtt.

:class:`MqttPublisher` owns one network thread that owns the paho client: it connects (with
exponential back-off), publishes ``online`` (retained) on ``<prefix>/<device>/status`` with a
last will ``offline``, then sends the :class:`~edge.comms.outbox.Outbox` in id order with at most
``max_inflight`` QoS 1 messages awaiting PUBACK; each PUBACK (``on_publish``) deletes its message.
A fresh paho client is made for every connection, so paho never keeps its own copy of a message
across an outage: after a reconnect (or a process restart) whatever is still in the outbox is
re-sent in order, and subscribers deduplicate re-deliveries by ``(alert_id, event)``.

The network thread waits on the broker socket and on a wake-up socket pair: storing an alert
writes one byte to it, so the alert is handed to paho at once instead of at the next 50 ms poll.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from edge import __version__
from edge.comms.config import MqttConfig, TLSConfig, credential_path, topic
from edge.comms.homeassistant import discovery_messages
from edge.comms.outbox import Outbox
from edge.comms.schemas import validate
from edge.core.clock import iso_utc
from edge.errors import PublishError

__all__ = [
    "MqttConfig",
    "MqttPublisher",
    "Subscriber",
    "TLSConfig",
    "credential_path",
    "refusal_reason",
    "status_payload",
    "topic",
]

log = logging.getLogger(__name__)

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


def status_payload(device_id: str, state: str, timestamp: float | None) -> dict[str, Any]:
    """A ``thermoseg.status/1`` message (timestamp None in the last will, fixed at connect)."""
    return {
        "schema": "thermoseg.status/1",
        "device": device_id,
        "state": state,
        "timestamp": None if timestamp is None else iso_utc(timestamp),
        "version": __version__,
    }


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _new_client(cfg: MqttConfig, client_id: str, clean_session: bool) -> paho.Client:
    """A paho client with credentials and TLS applied (ConfigError for missing secrets/files)."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=paho.MQTTv311,
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


class MqttPublisher:
    """Publishes alerts (QoS 1, via the outbox), stats (QoS 0) and the device status."""

    POLL_S = 0.05  # longest wait for the broker socket; a stored alert or a stop ends it sooner

    def __init__(self, cfg: MqttConfig, device_id: str, outbox: Outbox) -> None:
        self.cfg = cfg
        self.device_id = device_id
        self.outbox = outbox
        self.client_id = cfg.resolve_client_id(device_id)
        self.where = f"{cfg.host}:{cfg.port}"
        self.user = cfg.username or "(anonymous)"
        # Resolve secrets and TLS files now so a misconfiguration fails at start-up, clearly.
        _new_client(cfg, self.client_id, clean_session=True)
        self._status_topic = topic(cfg.topic_prefix, device_id, "status")
        self._alert_topic = topic(cfg.topic_prefix, device_id, "alerts")
        self._stats_topic = topic(cfg.topic_prefix, device_id, "stats")
        self._lock = threading.Lock()
        self._stop_evt = threading.Event()
        self._connected_evt = threading.Event()
        self._wake = threading.Event()
        self._wake_r: socket.socket | None = None  # a byte here ends the network thread's wait
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop_deadline = 0.0
        self._last_error: str | None = None
        self._stats: bytes | None = None
        # Network-thread state, reset for each connection.
        self._inflight: dict[int, int] = {}
        self._after_id = 0
        self._conn_state = "idle"

    def __repr__(self) -> str:
        return f"MqttPublisher({self.client_id}@{self.where}, connected={self.connected})"

    # -- public API (any thread) -----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected_evt.is_set()

    @property
    def last_error(self) -> str | None:
        """Why the last connection attempt failed or dropped (None once connected)."""
        return self._last_error

    def wait_connected(self, timeout: float) -> bool:
        return self._connected_evt.wait(timeout)

    def start(self) -> None:
        """Start the network thread (connects in the background, retries with back-off)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop_evt.clear()
        if self._wake_r is None:
            self._wake_r, self._wake_w = socket.socketpair()
            self._wake_r.setblocking(False)
            self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="thermoseg-mqtt", daemon=True)
        self._thread.start()

    def publish_alert(self, payload: dict[str, Any]) -> None:
        """Validate, store in the outbox, and let the network thread send it (QoS 1)."""
        try:
            validate("alert", payload)
        except ValueError as exc:
            raise PublishError(f"refusing to publish an invalid alert: {exc}") from exc
        self.outbox.put(self._alert_topic, _encode(payload), qos=1)
        self._wake.set()
        self._nudge()

    def publish_stats(self, stats: dict[str, Any]) -> None:
        """Send stats at QoS 0 when connected (latest wins; never stored)."""
        try:
            validate("stats", stats)
        except ValueError as exc:
            log.error("not publishing invalid stats: %s", exc)
            return
        with self._lock:
            self._stats = _encode(stats)

    def stop(self, timeout: float = 5.0) -> None:
        """Flush the outbox (until empty or ``timeout``), publish ``stopped``, disconnect."""
        thread = self._thread
        if thread is None:
            return
        self._stop_deadline = time.monotonic() + timeout
        self._stop_evt.set()
        self._nudge()
        thread.join(timeout + self.cfg.connect_timeout_s + 5.0)
        if thread.is_alive():
            log.error("MQTT network thread for %s did not stop in time", self.where)
        else:
            self._close_wake()
        self._thread = None
        left = self.outbox.depth()
        if left:
            log.warning(
                "%d alert(s) stay in the outbox %s for the next start", left, self.outbox.path
            )

    def _nudge(self) -> None:
        """End the network thread's current wait (any thread; never blocks)."""
        w = self._wake_w
        if w is None:
            return
        # Full: a wake-up is pending anyway. Closed: the publisher has stopped.
        with contextlib.suppress(OSError):
            w.send(b"\0")

    def _close_wake(self) -> None:
        r, w = self._wake_r, self._wake_w
        self._wake_r = self._wake_w = None
        for sock in (w, r):
            if sock is not None:
                sock.close()

    # -- network thread --------------------------------------------------------------------------
    def _set_error(self, message: str, level: int) -> None:
        if message != self._last_error:
            log.log(level, "MQTT %s (user %s): %s", self.where, self.user, message)
        self._last_error = message

    def _run(self) -> None:
        failures = 0
        while not self._stop_evt.is_set():
            try:
                if self._session():
                    failures = 0
            except Exception:  # the network thread must survive anything and keep retrying
                log.exception("MQTT session with %s failed unexpectedly", self.where)
            self._connected_evt.clear()
            if self._stop_evt.is_set():
                break
            delay = min(self.cfg.reconnect_max_s, self.cfg.reconnect_min_s * 2**failures)
            failures = min(failures + 1, 30)
            delay *= random.uniform(0.8, 1.0)
            log.debug("MQTT reconnecting to %s in %.1f s", self.where, delay)
            self._stop_evt.wait(delay)

    def _session(self) -> bool:
        """One connection: connect, send, until lost or stopped. True if it got connected."""
        client = _new_client(self.cfg, self.client_id, clean_session=True)
        client.will_set(
            self._status_topic, _encode(status_payload(self.device_id, "offline", None)), 1, True
        )
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        self._inflight, self._after_id, self._conn_state = {}, 0, "connecting"
        try:
            client.connect(self.cfg.host, self.cfg.port, self.cfg.keepalive)
        except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake (ssl.SSLError)
            self._set_error(f"cannot connect: {exc}", logging.WARNING)
            return False
        try:
            deadline = time.monotonic() + self.cfg.connect_timeout_s
            why = (
                "the broker closed the connection before CONNACK (TLS client certificate refused?)"
            )
            while self._conn_state == "connecting":
                if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break
                now = time.monotonic()
                if now > deadline or (self._stop_evt.is_set() and now > self._stop_deadline):
                    why = f"no CONNACK within {self.cfg.connect_timeout_s:g} s"
                    break
            if self._conn_state == "connecting":
                self._set_error(why, logging.WARNING)
            if self._conn_state != "connected":
                return False
            self._send_loop(client)
            return True
        finally:
            self._connected_evt.clear()
            client.disconnect()
            client.loop(0.01)

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._conn_state = "refused"
            self._set_error(refusal_reason(reason_code), logging.ERROR)
            return
        self._conn_state = "connected"
        self._last_error = None
        log.info("MQTT connected to %s as %s (user %s)", self.where, self.client_id, self.user)
        client.publish(
            self._status_topic,
            _encode(status_payload(self.device_id, "online", time.time())),
            qos=1,
            retain=True,
        )
        if self.cfg.homeassistant:
            for t, p in discovery_messages(self.device_id, self.cfg.topic_prefix):
                client.publish(t, _encode(p), qos=1, retain=True)
        self._wake.set()
        self._connected_evt.set()

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        msg_id = self._inflight.pop(mid, None)
        if msg_id is not None:
            self.outbox.ack(msg_id)
            self._wake.set()  # a slot in the in-flight window is free

    def _pump(self, client: paho.Client) -> None:
        """Hand the next outbox messages to paho, keeping at most max_inflight unacknowledged."""
        room = self.cfg.max_inflight - len(self._inflight)
        if room <= 0 or not self._wake.is_set():
            return
        self._wake.clear()
        for msg in self.outbox.pending(limit=room, after_id=self._after_id):
            info = client.publish(msg.topic, msg.payload, qos=msg.qos)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._wake.set()
                return
            self._after_id = msg.id
            if msg.qos == 0:
                self.outbox.ack(msg.id)
            else:
                self._inflight[info.mid] = msg.id
        if len(self._inflight) >= self.cfg.max_inflight:
            self._wake.set()  # there may be more; look again once a PUBACK frees a slot

    def _send_loop(self, client: paho.Client) -> None:
        while True:
            if self._stop_evt.is_set():
                drained = not self._inflight and not self.outbox.pending(1, self._after_id)
                if drained or time.monotonic() > self._stop_deadline:
                    self._say_stopped(client)
                    return
                self._wake.set()
            self._pump(client)
            with self._lock:
                stats, self._stats = self._stats, None
            if stats is not None:
                client.publish(self._stats_topic, stats, qos=0)
            rc = self._loop(client, self.POLL_S)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._set_error(f"connection lost ({paho.error_string(rc)})", logging.WARNING)
                return

    def _loop(self, client: paho.Client, timeout: float) -> MQTTErrorCode:
        """``client.loop(timeout)`` through paho's external-loop calls, also waking on a nudge."""
        sock = client.socket()
        wake = self._wake_r
        if sock is None or wake is None:
            return client.loop(timeout)
        # TLS may hold decrypted bytes that select() cannot see: read them without waiting.
        pending = int(sock.pending()) if hasattr(sock, "pending") else 0
        wlist = [sock] if client.want_write() else []
        try:
            readable, _, _ = select.select([sock, wake], wlist, [], 0.0 if pending else timeout)
        except (OSError, ValueError, TypeError):  # the socket was closed under us
            return MQTTErrorCode.MQTT_ERR_CONN_LOST
        if wake in readable:
            with contextlib.suppress(OSError):
                wake.recv(4096)  # one wake-up covers every alert stored so far
        if sock in readable or pending:
            rc = client.loop_read()
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return rc
            if client.socket() is None:
                return MQTTErrorCode.MQTT_ERR_CONN_LOST
        if client.want_write():
            rc = client.loop_write()
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return rc
        return client.loop_misc()

    def _say_stopped(self, client: paho.Client) -> None:
        info = client.publish(
            self._status_topic,
            _encode(status_payload(self.device_id, "stopped", time.time())),
            qos=1,
            retain=True,
        )
        deadline = time.monotonic() + 2.0
        while not info.is_published() and time.monotonic() < deadline:
            if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
        log.info("MQTT publisher %s stopped", self.client_id)


class Subscriber:
    """Receives JSON messages on topic patterns (QoS 1); for ``listen``, dashboards and tests.

    Messages go to ``on_message(topic, payload)`` when given, else to :attr:`messages` (a
    queue of ``(topic, payload dict)``). ``persistent=True`` keeps the broker session (and the
    messages queued for it while this client is away) across reconnects.
    """

    def __init__(
        self,
        cfg: MqttConfig,
        patterns: str | Sequence[str],
        *,
        client_id: str | None = None,
        persistent: bool = False,
        on_message: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        if persistent and not client_id:
            raise ValueError("a persistent subscriber needs a fixed client_id")
        self.cfg = cfg
        self.patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._on_message_cb = on_message
        self._subscribed = threading.Event()
        self._answered = threading.Event()  # SUBACK or a refused CONNACK
        self.last_error: str | None = None
        cid = client_id or f"thermoseg-sub-{random.getrandbits(48):012x}"
        self._client = _new_client(cfg, cid, clean_session=not persistent)
        self._client.reconnect_delay_set(1, 5)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        self._client.connect_async(self.cfg.host, self.cfg.port, self.cfg.keepalive)
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

    def _on_connect(self, client: paho.Client, u: Any, f: Any, reason_code: Any, p: Any) -> None:
        if reason_code.is_failure:
            self.last_error = refusal_reason(reason_code)
            log.error("MQTT %s:%d: %s", self.cfg.host, self.cfg.port, self.last_error)
            self._answered.set()
            return
        self.last_error = None
        client.subscribe([(pat, 1) for pat in self.patterns])

    def _on_disconnect(self, *_: Any) -> None:
        self._subscribed.clear()
        self._answered.clear()

    def _on_subscribe(self, client: paho.Client, u: Any, mid: int, codes: Any, p: Any) -> None:
        self._subscribed.set()
        self._answered.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
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
