"""The open alert on disk, so that every alert gets its ``end`` even across a crash.

:class:`OpenAlertFile` keeps one small JSON file in the state directory while an alert is open
(written atomically on ``new``/``update``, removed on ``end``). A clean stop ends the open alert
itself (``end_reason`` ``daemon_stopped``); when the daemon died instead (power cut, SIGKILL,
watchdog), the file is still there at the next start and :meth:`OpenAlertFile.recover` makes the
``end`` event (``end_reason`` ``recovered``) that the restarted daemon publishes first.

The event is stored in the outbox *before* the file is updated: a crash in between can at worst
send one extra ``end`` for an alert that already ended, never leave one open for ever.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.device.alerts import AlertTracker, end_payload

__all__ = ["OPEN_ALERT_FILE", "OpenAlertFile", "end_open_alert", "recording"]

log = logging.getLogger(__name__)

OPEN_ALERT_FILE = "open-alert.json"
_KEEP = ("alert_id", "device", "opened_at", "timestamp", "frame_sequence", "segmenter", "exam_id")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class OpenAlertFile:
    """The state file of the one alert a device may have open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def record(self, payload: dict[str, Any]) -> None:
        """Follow a published event: remember the alert while open, forget it on ``end``."""
        try:
            if payload.get("event") == "end":
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                return
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump({k: payload.get(k) for k in _KEEP}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:  # the alert itself is safe in the outbox; only recovery suffers
            log.error("open alert state %s not written: %s", self.path, exc)

    def recover(self, reason: str = "recovered") -> list[dict[str, Any]]:
        """The ``end`` event of an alert left open by a crash (then the file is gone), or []."""
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            event = end_payload(
                str(state["device"]),
                str(state["alert_id"]),
                opened_at=_epoch(str(state["opened_at"])),
                timestamp=time.time(),
                frame_sequence=int(state["frame_sequence"]),
                segmenter=dict(state["segmenter"]),
                exam_id=state.get("exam_id"),
                reason=reason,
            )
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error(
                "open alert state %s is unreadable (%s); expected the JSON the daemon writes; "
                "removing it",
                self.path,
                exc,
            )
            with contextlib.suppress(OSError):
                self.path.unlink()
            return []
        log.warning(
            "alert %s was left open by an unclean stop; ending it (%s)", event["alert_id"], reason
        )
        return [event]


def recording(
    publish: Callable[[dict[str, Any]], None], state: OpenAlertFile
) -> Callable[[dict[str, Any]], None]:
    """``publish`` followed by ``state.record`` (a publish that raises records nothing)."""

    def publish_and_record(payload: dict[str, Any]) -> None:
        publish(payload)
        state.record(payload)

    return publish_and_record


def end_open_alert(
    tracker: AlertTracker,
    publish: Callable[[dict[str, Any]], None],
    segmenter: dict[str, Any],
    reason: str = "daemon_stopped",
) -> int:
    """At a clean stop: end the alert the tracker holds open, if any; returns events sent."""
    events = tracker.close(reason, segmenter)
    for event in events:
        try:
            publish(event)
        except Exception as exc:  # the state file still holds it: the next start ends it
            log.error("end of alert %s not published: %s", event["alert_id"], exc)
            return 0
    return len(events)
