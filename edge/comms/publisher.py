"""The device's MQTT publisher: alerts with store-and-forward, stats, and the device status.

:class:`MqttPublisher` owns one network thread that owns the paho client: it connects (with
exponential back-off), publishes ``online`` (retained) on ``<prefix>/<device>/status`` with a
last will ``offline``, then sends the :class:`~edge.comms.outbox.Outbox` in id order with at most
``max_inflight`` QoS 1 messages awaiting PUBACK; each PUBACK (``on_publish``) deletes its message.
A fresh paho client is made for every connection, so paho never keeps its own copy of a message
across an outage: after a reconnect (or a process restart) whatever is still in the outbox is
re-sent in order, and subscribers deduplicate re-deliveries by ``(alert_id, event)``.

With several brokers (``mqtt.brokers``) each round tries them in order and stops at the first
that accepts; the back-off comes after a round where none did, and a round after a lost
connection starts again at the first (the preferred one). As every connection re-sends the
outbox from its oldest message, alerts keep their order across a switch of broker.

Two signals drive the network thread. ``_outbox_due`` (an event) says "look at the outbox again
on the next turn" (an alert was stored, a PUBACK freed an in-flight slot, a connection came up).
``_interrupt_wait()`` writes one byte to a socket pair the thread's ``select()`` also watches, so
a stored alert or a stop request ends the current wait at once instead of at the next poll.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import random
import select
import socket
import threading
import time
from typing import Any

from edge import __version__
from edge.comms._paho import Client, MQTTErrorCode, error_string, new_client, refusal_reason
from edge.comms.config import MqttConfig, broker_address, topic
from edge.comms.homeassistant import discovery_clears, discovery_messages
from edge.comms.outbox import Outbox
from edge.comms.schemas import validate
from edge.core.clock import iso_utc
from edge.errors import PublishError

__all__ = ["ConnectionState", "MqttPublisher", "status_payload"]

log = logging.getLogger(__name__)


class ConnectionState(enum.Enum):
    """Where the network thread's current connection stands."""

    IDLE = "idle"  # no connection attempted yet
    CONNECTING = "connecting"  # TCP/TLS up, waiting for CONNACK
    CONNECTED = "connected"  # CONNACK accepted
    REFUSED = "refused"  # CONNACK refused (credentials, client id, ...)


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


class MqttPublisher:
    """Publishes alerts (QoS 1, via the outbox), stats (QoS 0) and the device status."""

    POLL_S = 0.05  # longest wait for the broker socket; a stored alert or a stop ends it sooner

    def __init__(self, cfg: MqttConfig, device_id: str, outbox: Outbox) -> None:
        self.cfg = cfg
        self.device_id = device_id
        self.outbox = outbox
        self.client_id = cfg.resolve_client_id(device_id)
        # Several brokers: tried in order, the back-off comes after a full round (see _run).
        self._brokers = cfg.broker_list()
        self._broker = 0
        self.where = broker_address(*self._brokers[0])
        self._broker_errors: dict[str, str] = {}  # last error logged per broker
        self.user = cfg.username or "(anonymous)"
        # Resolve secrets and TLS files now so a misconfiguration fails at start-up, clearly.
        new_client(cfg, self.client_id, clean_session=True)
        self._status_topic = topic(cfg.topic_prefix, device_id, "status")
        self._alert_topic = topic(cfg.topic_prefix, device_id, "alerts")
        self._stats_topic = topic(cfg.topic_prefix, device_id, "stats")
        self._lock = threading.Lock()
        self._stop_evt = threading.Event()
        self._connected_evt = threading.Event()
        self._outbox_due = threading.Event()
        self._interrupt_r: socket.socket | None = None  # a byte here ends the network thread's wait
        self._interrupt_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop_deadline = 0.0
        self._last_error: str | None = None
        self._stats: bytes | None = None
        # Network-thread state, reset for each connection.
        self._inflight: dict[int, int] = {}
        self._after_id = 0
        self._generation = outbox.generation
        self._conn_state = ConnectionState.IDLE

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
        if self._interrupt_r is None:
            self._interrupt_r, self._interrupt_w = socket.socketpair()
            self._interrupt_r.setblocking(False)
            self._interrupt_w.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="thermoseg-mqtt", daemon=True)
        self._thread.start()

    def publish_alert(self, payload: dict[str, Any]) -> None:
        """Validate, store in the outbox, and let the network thread send it (QoS 1)."""
        try:
            validate("alert", payload)
        except ValueError as exc:
            raise PublishError(f"refusing to publish an invalid alert: {exc}") from exc
        self.outbox.put(self._alert_topic, _encode(payload), qos=1)
        self._outbox_due.set()
        self._interrupt_wait()

    def snapshot_topic(self, alert_id: str) -> str:
        """``<prefix>/<device>/alerts/<alert_id>/snapshot``."""
        return f"{self._alert_topic}/{alert_id}/snapshot"

    def publish_snapshot(self, alert_id: str, png: bytes) -> str:
        """Store a snapshot (PNG bytes) in the outbox like an alert (QoS 1); returns its topic."""
        if not png.startswith(b"\x89PNG"):
            raise PublishError(f"refusing to publish a snapshot of alert {alert_id}: not a PNG")
        where = self.snapshot_topic(alert_id)
        self.outbox.put(where, png, qos=1)
        self._outbox_due.set()
        self._interrupt_wait()
        return where

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
        self._interrupt_wait()
        thread.join(timeout + self.cfg.connect_timeout_s + 5.0)
        if thread.is_alive():
            log.error("MQTT network thread for %s did not stop in time", self.where)
        else:
            self._close_interrupt()
        self._thread = None
        left = self.outbox.depth()
        if left:
            log.warning(
                "%d alert(s) stay in the outbox %s for the next start", left, self.outbox.path
            )

    def _interrupt_wait(self) -> None:
        """End the network thread's current wait (any thread; never blocks)."""
        w = self._interrupt_w
        if w is None:
            return
        # Full: a wake-up is pending anyway. Closed: the publisher has stopped.
        with contextlib.suppress(OSError):
            w.send(b"\0")

    def _close_interrupt(self) -> None:
        r, w = self._interrupt_r, self._interrupt_w
        self._interrupt_r = self._interrupt_w = None
        for sock in (w, r):
            if sock is not None:
                sock.close()

    # -- network thread --------------------------------------------------------------------------
    def _set_error(self, message: str, level: int) -> None:
        if message != self._broker_errors.get(self.where):
            log.log(level, "MQTT %s (user %s): %s", self.where, self.user, message)
        self._broker_errors[self.where] = message
        self._last_error = message

    def _use_broker(self, index: int) -> None:
        if index != self._broker and len(self._brokers) > 1:
            log.info(
                "MQTT: trying broker %d of %d, %s",
                index + 1,
                len(self._brokers),
                broker_address(*self._brokers[index]),
            )
        self._broker = index
        self.where = broker_address(*self._brokers[index])

    def _round(self) -> bool:
        """Try the brokers in order until one connects; True if one did (and has now dropped)."""
        for index in range(len(self._brokers)):
            if self._stop_evt.is_set():
                return False
            self._use_broker(index)
            try:
                connected = self._session()
            except Exception:  # the network thread must survive anything and keep retrying
                log.exception("MQTT session with %s failed unexpectedly", self.where)
                connected = False
            self._connected_evt.clear()
            if connected:
                return True  # lost after working: the next round starts at the first broker
        return False

    def _run(self) -> None:
        failures = 0
        while not self._stop_evt.is_set():
            if self._round():
                failures = 0
            if self._stop_evt.is_set():
                break
            delay = min(self.cfg.reconnect_max_s, self.cfg.reconnect_min_s * 2**failures)
            failures = min(failures + 1, 30)
            delay *= random.uniform(0.8, 1.0)
            log.debug("MQTT reconnecting to %s in %.1f s", self.where, delay)
            self._stop_evt.wait(delay)

    def _session(self) -> bool:
        """One connection: connect, send, until lost or stopped. True if it got connected."""
        client = new_client(self.cfg, self.client_id, clean_session=True)
        client.will_set(
            self._status_topic, _encode(status_payload(self.device_id, "offline", None)), 1, True
        )
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        self._inflight, self._after_id, self._conn_state = {}, 0, ConnectionState.CONNECTING
        try:
            host, port = self._brokers[self._broker]
            client.connect(host, port, self.cfg.keepalive)
        except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake (ssl.SSLError)
            self._set_error(f"cannot connect: {exc}", logging.WARNING)
            return False
        try:
            deadline = time.monotonic() + self.cfg.connect_timeout_s
            why = (
                "the broker closed the connection before CONNACK (TLS client certificate refused?)"
            )
            while self._conn_state is ConnectionState.CONNECTING:
                if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break
                now = time.monotonic()
                if now > deadline or (self._stop_evt.is_set() and now > self._stop_deadline):
                    why = f"no CONNACK within {self.cfg.connect_timeout_s:g} s"
                    break
            if self._conn_state is ConnectionState.CONNECTING:
                self._set_error(why, logging.WARNING)
            if self._conn_state is not ConnectionState.CONNECTED:
                return False
            self._send_loop(client)
            return True
        finally:
            self._connected_evt.clear()
            client.disconnect()
            client.loop(0.01)

    def _on_connect(
        self, client: Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._conn_state = ConnectionState.REFUSED
            self._set_error(refusal_reason(reason_code), logging.ERROR)
            return
        self._conn_state = ConnectionState.CONNECTED
        self._last_error = None
        self._broker_errors.pop(self.where, None)
        log.info(
            "MQTT connected to %s as %s (user %s)%s",
            self.where,
            self.client_id,
            self.user,
            f", broker {self._broker + 1} of {len(self._brokers)}"
            if len(self._brokers) > 1
            else "",
        )
        client.publish(
            self._status_topic,
            _encode(status_payload(self.device_id, "online", time.time())),
            qos=1,
            retain=True,
        )
        self._publish_discovery(client)
        self._outbox_due.set()
        self._connected_evt.set()

    def _publish_discovery(self, client: Client) -> None:
        """Home Assistant discovery configs, or empty retained payloads that remove them."""
        cfg = self.cfg
        if cfg.homeassistant:
            for t, p in discovery_messages(
                self.device_id, cfg.topic_prefix, cfg.homeassistant_prefix
            ):
                client.publish(t, _encode(p), qos=1, retain=True)
        else:
            for t in discovery_clears(self.device_id, cfg.topic_prefix, cfg.homeassistant_prefix):
                client.publish(t, b"", qos=1, retain=True)

    def _on_publish(
        self, client: Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        msg_id = self._inflight.pop(mid, None)
        if msg_id is not None:
            self.outbox.ack(msg_id)
            self._outbox_due.set()  # a slot in the in-flight window is free

    def _pump(self, client: Client) -> None:
        """Hand the next outbox messages to paho, keeping at most max_inflight unacknowledged."""
        if self.outbox.generation != self._generation:
            self._outbox_due.set()
        room = self.cfg.max_inflight - len(self._inflight)
        if room <= 0 or not self._outbox_due.is_set():
            return
        self._outbox_due.clear()
        if self.outbox.generation != self._generation:
            # Messages older than those sent reappeared (a disk came back, a damaged file was
            # read back): send from the start again; subscribers drop the re-deliveries.
            self._generation, self._after_id = self.outbox.generation, 0
        for msg in self.outbox.pending(limit=room, after_id=self._after_id):
            info = client.publish(msg.topic, msg.payload, qos=msg.qos)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._outbox_due.set()
                return
            self._after_id = msg.id
            if msg.qos == 0:
                self.outbox.ack(msg.id)
            else:
                self._inflight[info.mid] = msg.id
        if len(self._inflight) >= self.cfg.max_inflight:
            self._outbox_due.set()  # there may be more; look again once a PUBACK frees a slot

    def _send_loop(self, client: Client) -> None:
        while True:
            if self._stop_evt.is_set():
                drained = not self._inflight and not self.outbox.pending(1, self._after_id)
                if drained or time.monotonic() > self._stop_deadline:
                    self._say_stopped(client)
                    return
                self._outbox_due.set()
            self._pump(client)
            with self._lock:
                stats, self._stats = self._stats, None
            if stats is not None:
                client.publish(self._stats_topic, stats, qos=0)
            rc = self._loop(client, self.POLL_S)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._set_error(f"connection lost ({error_string(rc)})", logging.WARNING)
                return

    def _loop(self, client: Client, timeout: float) -> MQTTErrorCode:
        """``client.loop(timeout)`` through paho's external-loop calls, also ending on an interrupt."""
        sock = client.socket()
        interrupt = self._interrupt_r
        if sock is None or interrupt is None:
            return client.loop(timeout)
        # TLS may hold decrypted bytes that select() cannot see: read them without waiting.
        pending = int(sock.pending()) if hasattr(sock, "pending") else 0
        wlist = [sock] if client.want_write() else []
        try:
            readable, _, _ = select.select(
                [sock, interrupt], wlist, [], 0.0 if pending else timeout
            )
        except (OSError, ValueError, TypeError):  # the socket was closed under us
            return MQTTErrorCode.MQTT_ERR_CONN_LOST
        if interrupt in readable:
            with contextlib.suppress(OSError):
                interrupt.recv(4096)  # one wake-up covers every alert stored so far
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

    def _say_stopped(self, client: Client) -> None:
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
