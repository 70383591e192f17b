"""MQTT to the dashboard: subscribes to the devices' topics, stores what arrives (deduplicated)
and tells the live pages; publishes acknowledgements and exam commands.

Topics read, for each followed device (``+``: all): ``<prefix>/<dev>/alerts``,
``<prefix>/<dev>/alerts/+/snapshot`` (PNG), ``<prefix>/<dev>/alerts/+/ack``, ``<prefix>/<dev>/status``
and ``<prefix>/<dev>/stats``. Topics written: ``<prefix>/<dev>/alerts/<alert_id>/ack``
(``thermoseg.ack/1``, QoS 1) and ``<prefix>/<dev>/exam/set``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from edge.comms.commands import CommandClient
from edge.comms.config import MqttConfig, topic
from edge.comms.schemas import validate
from edge.comms.subscriber import Subscriber
from edge.dashboard.hub import Hub
from edge.dashboard.store import DashboardStore, now_iso

__all__ = ["ACK_SCHEMA", "Bridge", "ack_topic"]

log = logging.getLogger(__name__)

ACK_SCHEMA = "thermoseg.ack/1"


def ack_topic(prefix: str, device: str, alert_id: str) -> str:
    """``<prefix>/<device>/alerts/<alert_id>/ack``."""
    return topic(prefix, device, f"alerts/{alert_id}/ack")


class Bridge:
    """One subscriber and one command client for the dashboard."""

    def __init__(
        self,
        cfg: MqttConfig,
        devices: Sequence[str],
        store: DashboardStore,
        hub: Hub,
        client_id: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.hub = hub
        leaves = ("alerts", "alerts/+/snapshot", "alerts/+/ack", "status", "stats")
        patterns = [topic(cfg.topic_prefix, d, leaf) for d in devices for leaf in leaves]
        self.subscriber = Subscriber(
            cfg,
            patterns,
            client_id=client_id,
            persistent=client_id is not None,
            on_raw=self._on_raw,
        )
        self.commands = CommandClient(cfg)

    def start(self, timeout: float = 10.0) -> None:
        self.subscriber.start()
        self.commands.start(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        return self.subscriber.wait_subscribed(timeout)

    def stop(self) -> None:
        self.subscriber.stop()
        self.commands.stop()

    # -- incoming ------------------------------------------------------------------------------
    def _on_raw(self, where: str, data: bytes) -> None:
        try:
            self._route(where, data)
        except Exception:  # one odd message must not stop the dashboard's MQTT thread
            log.exception("dashboard: message on %s not handled", where)

    def _route(self, where: str, data: bytes) -> None:
        parts = where.split("/")
        if where.endswith("/snapshot") and len(parts) >= 5:
            self._snapshot(parts[-4], parts[-2], data)
            return
        try:
            payload = json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("dashboard: ignoring a non-JSON message on %s", where)
            return
        if not isinstance(payload, dict):
            return
        if where.endswith("/ack"):
            self._ack(payload)
        elif where.endswith("/alerts"):
            self._alert(payload)
        elif where.endswith("/status"):
            validate("status", payload)
            self.store.set_status(payload)
            self.hub.publish("device", self.store.device(payload["device"]) or {})
        elif where.endswith("/stats"):
            validate("stats", payload)
            self.store.set_stats(payload)
            self.hub.publish("device", self.store.device(payload["device"]) or {})

    def _alert(self, payload: dict[str, Any]) -> None:
        try:
            validate("alert", payload)
        except ValueError as exc:
            log.warning("dashboard: ignoring an invalid alert: %s", exc)
            return
        if self.store.add(payload):
            self._changed(payload["alert_id"])

    def _snapshot(self, device: str, alert_id: str, png: bytes) -> None:
        if not png.startswith(b"\x89PNG"):
            log.warning("dashboard: snapshot of alert %s is not a PNG; ignored", alert_id)
            return
        sha = hashlib.sha256(png).hexdigest()
        if self.store.add_snapshot(alert_id, sha, device, png):
            self._changed(alert_id)

    def _ack(self, payload: dict[str, Any]) -> None:
        if payload.get("schema") != ACK_SCHEMA:
            return
        if self.store.add_ack(
            str(payload["alert_id"]),
            str(payload["device"]),
            str(payload["by"]),
            str(payload.get("note", "")),
            str(payload["at"]),
        ):
            self._changed(str(payload["alert_id"]))

    def _changed(self, alert_id: str) -> None:
        for group in self.store.alerts(alert_id=alert_id, limit=1):
            self.hub.publish("alert", group)

    # -- outgoing ------------------------------------------------------------------------------
    def acknowledge(self, alert_id: str, by: str, note: str) -> dict[str, Any]:
        """Store an acknowledgement and publish it; returns the ack message."""
        groups = self.store.alerts(alert_id=alert_id, limit=1)
        if not groups:
            raise KeyError(alert_id)
        device = groups[0]["device"]
        ack = {
            "schema": ACK_SCHEMA,
            "alert_id": alert_id,
            "device": device,
            "by": by,
            "note": note,
            "at": now_iso(),
        }
        self.store.add_ack(alert_id, device, by, note, ack["at"])
        self.commands.publish(ack_topic(self.cfg.topic_prefix, device, alert_id), ack)
        self._changed(alert_id)
        return ack

    def set_exam(self, device: str, exam_id: str | None) -> None:
        """Start (an opaque id) or end (None) the exam on ``device``."""
        where = topic(self.cfg.topic_prefix, device, "exam/set")
        self.commands.publish(where, {"exam_id": exam_id}, retain=True)
