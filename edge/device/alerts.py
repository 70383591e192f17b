"""Turning per-frame analyses into alert events without flooding subscribers.

An alert **opens** (event ``new``) after ``open_after`` consecutive abnormal frames, sends an
``update`` while it lasts only when the grade rises above the highest it has reported, or
``update_interval_s`` has passed since the last event (a grade flickering between two values
near a threshold must not send an event per frame), and **ends** (event ``end``) after ``close_after`` consecutive normal frames.
All events of one alert share a random ``alert_id`` (uuid4 hex). Time is the frames' own
timestamps, so replaying a recorded folder gives the same events as the live run did.

An alert carries the exam id current when it opened (``exam``: a callable, see
:mod:`edge.device.exam`). :meth:`AlertTracker.close` ends an open alert without a normal frame
(``end_reason`` ``daemon_stopped`` at a clean stop); every ``end`` says why it ended.

Every payload carries :data:`edge.DISCLAIMER`: an alert is a screening flag for a clinician to
review, never a diagnosis.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from edge import DISCLAIMER
from edge.core.analysis import GRADES
from edge.core.clock import clock_synced, iso_utc

if TYPE_CHECKING:
    from edge.core.analysis import Analysis
    from edge.core.frame import Frame

__all__ = ["ALERT_SCHEMA", "AlertConfig", "AlertTracker", "end_payload"]

log = logging.getLogger(__name__)

ALERT_SCHEMA = "thermoseg.alert/2"


class AlertConfig(BaseModel):
    """Debouncing of alerts (counts are consecutive frames)."""

    model_config = ConfigDict(extra="forbid")

    open_after: int = Field(3, ge=1, description="consecutive abnormal frames that open an alert")
    close_after: int = Field(5, ge=1, description="consecutive normal frames that end it")
    update_interval_s: float = Field(
        10.0,
        gt=0,
        description="while open, send an update at most this often unless the grade rises",
    )


def _max_delta_t(analysis: Any, regions: list[dict[str, Any]]) -> float | None:
    value = getattr(analysis, "max_delta_t_c", None)
    if value is None:
        deltas = [r.get("delta_t_c") for r in regions]
        numbers = [float(d) for d in deltas if isinstance(d, (int, float))]
        value = max(numbers) if numbers else None
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), 3)


class AlertTracker:
    """Debounces analyses of one device into ``new`` / ``update`` / ``end`` alert payloads."""

    def __init__(
        self, cfg: AlertConfig, device_id: str, exam: Callable[[], str | None] | None = None
    ) -> None:
        self.cfg = cfg
        self.device_id = device_id
        self._exam = exam
        self._exam_id: str | None = None
        self._last_frame: tuple[float, int] = (0.0, 0)  # timestamp, sequence
        self._abnormal_run = 0
        self._normal_run = 0
        self._alert_id: str | None = None
        self._opened_at = 0.0
        self._last_sent = 0.0
        self._peak_grade = 0  # index in GRADES of the highest grade this alert has reported

    @property
    def open_alert_id(self) -> str | None:
        """The id of the alert that is open now, if any."""
        return self._alert_id

    def update(
        self, analysis: Analysis, frame: Frame, segmenter: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Feed one frame's analysis; returns the alert payloads to publish (usually none)."""
        abnormal = bool(analysis.abnormal)
        if abnormal:
            self._abnormal_run += 1
            self._normal_run = 0
        else:
            self._normal_run += 1
            self._abnormal_run = 0
        grade = analysis.grade
        now = float(frame.timestamp)
        self._last_frame = (now, int(frame.sequence))

        if self._alert_id is None:
            if abnormal and self._abnormal_run >= self.cfg.open_after:
                self._alert_id = uuid.uuid4().hex
                self._opened_at = now
                self._exam_id = self._exam() if self._exam is not None else None
                self._peak_grade = 0
                log.info(
                    "alert %s opened at frame %d (grade %s)", self._alert_id, frame.sequence, grade
                )
                return [self._emit(self._alert_id, "new", analysis, frame, segmenter)]
            return []

        if abnormal:
            escalated = GRADES.index(grade) > self._peak_grade
            if escalated or now - self._last_sent >= self.cfg.update_interval_s:
                return [self._emit(self._alert_id, "update", analysis, frame, segmenter)]
            return []

        if self._normal_run >= self.cfg.close_after:
            payload = self._emit(self._alert_id, "end", analysis, frame, segmenter)
            payload["end_reason"] = "normal_frames"
            log.info("alert %s ended at frame %d", self._alert_id, frame.sequence)
            self._alert_id = None
            return [payload]
        return []

    def close(self, reason: str, segmenter: dict[str, Any]) -> list[dict[str, Any]]:
        """End the open alert now (no normal frame seen), e.g. ``daemon_stopped``; [] if none."""
        if self._alert_id is None:
            return []
        timestamp, sequence = self._last_frame
        payload = end_payload(
            self.device_id,
            self._alert_id,
            opened_at=self._opened_at,
            timestamp=timestamp,
            frame_sequence=sequence,
            segmenter=segmenter,
            exam_id=self._exam_id,
            reason=reason,
        )
        log.info("alert %s ended: %s", self._alert_id, reason)
        self._alert_id = None
        self._abnormal_run = self._normal_run = 0
        return [payload]

    def _emit(
        self, alert_id: str, event: str, analysis: Any, frame: Frame, segmenter: dict[str, Any]
    ) -> dict[str, Any]:
        regions = [r.to_dict() for r in analysis.regions]
        self._last_sent = float(frame.timestamp)
        self._peak_grade = max(self._peak_grade, GRADES.index(analysis.grade))
        return {
            "schema": ALERT_SCHEMA,
            "alert_id": alert_id,
            "event": event,
            "device": self.device_id,
            "opened_at": iso_utc(self._opened_at),
            "timestamp": iso_utc(float(frame.timestamp)),
            "frame_sequence": int(frame.sequence),
            "segmenter": dict(segmenter),
            "grade": analysis.grade,
            "abnormal": bool(analysis.abnormal),
            "regions": regions,
            "max_delta_t_c": _max_delta_t(analysis, regions),
            "exam_id": self._exam_id,
            "snapshot": None,
            "end_reason": None,
            "disclaimer": DISCLAIMER,
            "clock_synced": clock_synced(),  # False: the timestamps may be a stale boot-time clock
        }


def end_payload(
    device_id: str,
    alert_id: str,
    *,
    opened_at: float,
    timestamp: float,
    frame_sequence: int,
    segmenter: dict[str, Any],
    exam_id: str | None,
    reason: str,
) -> dict[str, Any]:
    """An ``end`` event that no frame produced (a stop, or recovery after a crash): no regions,
    grade ``none``; ``reason`` says why."""
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": alert_id,
        "event": "end",
        "device": device_id,
        "opened_at": iso_utc(opened_at),
        "timestamp": iso_utc(timestamp),
        "frame_sequence": int(frame_sequence),
        "segmenter": dict(segmenter),
        "grade": "none",
        "abnormal": False,
        "regions": [],
        "max_delta_t_c": None,
        "exam_id": exam_id,
        "snapshot": None,
        "end_reason": reason,
        "disclaimer": DISCLAIMER,
    }
