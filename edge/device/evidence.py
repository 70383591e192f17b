"""Snapshots for alert events, and when the device may send them.

On each ``new`` event, and on an ``update`` whose regions changed since the last snapshot,
:class:`Evidence` renders the frame (:func:`edge.io.snapshot.render_snapshot`), stores the PNG in
the outbox on ``<prefix>/<device>/alerts/<alert_id>/snapshot`` (QoS 1, so it survives outages
and restarts like the alert) *before* the alert, and writes the reference into the alert's
``snapshot`` field. ``end`` events have none.

A breast thermogram is sensitive. Snapshots are sent only when the broker connection is TLS or
the broker is on this machine (loopback), unless ``[evidence] allow_plaintext = true`` says the
network is trusted; otherwise they are off and the daemon logs why, once, at start.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.comms.config import MqttConfig
from edge.core.analysis import Analysis
from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig
from edge.io.snapshot import render_snapshot

__all__ = ["Evidence", "EvidenceConfig", "snapshots_allowed"]

log = logging.getLogger(__name__)

SnapshotSink = Callable[[str, bytes], str]  # (alert_id, png) -> topic


class EvidenceConfig(BaseModel):
    """Alert snapshots (the thermogram with the regions outlined)."""

    model_config = ConfigDict(extra="forbid")

    snapshots: bool = Field(True, description="send a snapshot PNG with new/changed alerts")
    allow_plaintext: bool = Field(
        False,
        description="also send snapshots over plain TCP to a non-loopback broker (only on a "
        "network you trust; the images are sensitive)",
    )
    scale: int = Field(3, ge=1, le=8, description="enlargement of the camera frame")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def snapshots_allowed(cfg: EvidenceConfig, mqtt: MqttConfig) -> tuple[bool, str]:
    """Whether snapshots may be sent, and why (for the log)."""
    if not cfg.snapshots:
        return False, "snapshots are off ([evidence] snapshots = false)"
    if mqtt.tls is not None:
        return True, "snapshots on (TLS)"
    # Every broker the publisher may fail over to.
    hosts = [host for host, _port in mqtt.broker_list()]
    remote = [host for host in hosts if not _is_loopback(host)]
    if not remote:
        return True, f"snapshots on (broker {', '.join(hosts)} is loopback)"
    if cfg.allow_plaintext:
        return True, "snapshots on over plain TCP ([evidence] allow_plaintext = true)"
    return False, (
        f"snapshots off: broker {', '.join(remote)} is neither TLS nor loopback; configure "
        "[mqtt.tls] or set [evidence] allow_plaintext = true on a trusted network"
    )


def _signature(analysis: Analysis) -> tuple[tuple[Any, ...], ...]:
    return tuple((r.bbox, r.counted) for r in analysis.regions)


def _caption(event: dict[str, Any]) -> str:
    exam = f" exam {event['exam_id']}" if event.get("exam_id") else ""
    return f"{event['device']} {event['timestamp'][:19]}Z{exam} - screening aid"


class Evidence:
    """Attaches snapshots to alert events (the pipeline calls it before publishing each)."""

    def __init__(
        self, cfg: EvidenceConfig, preprocess: PreprocessConfig, publish: SnapshotSink
    ) -> None:
        self.cfg = cfg
        self.preprocess = preprocess
        self.publish = publish
        self._last: dict[str, tuple[tuple[Any, ...], ...]] = {}  # alert_id -> regions shown
        self.sent = 0

    def __call__(
        self, event: dict[str, Any], frame: Frame, mask: npt.NDArray[np.uint8], analysis: Analysis
    ) -> None:
        alert_id = str(event["alert_id"])
        if event.get("event") == "end":
            self._last.pop(alert_id, None)
            return
        signature = _signature(analysis)
        if self._last.get(alert_id) == signature:
            return  # same regions as the last snapshot of this alert
        shot = render_snapshot(
            frame,
            mask,
            analysis.regions,
            palette=self.preprocess.palette,
            t_min=self.preprocess.t_min,
            t_max=self.preprocess.t_max,
            scale=self.cfg.scale,
            caption=_caption(event),
        )
        where = self.publish(alert_id, shot.png)
        self._last[alert_id] = signature
        self.sent += 1
        event["snapshot"] = {
            "topic": where,
            "sha256": hashlib.sha256(shot.png).hexdigest(),
            "bytes": len(shot.png),
            "width": shot.width,
            "height": shot.height,
            "frame_sequence": int(frame.sequence),
        }
