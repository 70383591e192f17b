"""Exam context: an opaque exam id the operator sets, carried by alerts and snapshots.

The operator starts an exam by publishing ``{"exam_id": "<id>"}`` on
``<prefix>/<device>/exam/set`` (retained, so a restarted device picks it up again) and ends it
with ``{"exam_id": null}`` (``thermoseg-edge exam`` does both). The id is an opaque token from the
clinic's own system: it must match :data:`EXAM_ID_PATTERN` (1-32 letters, digits, ``_`` or ``-``),
so no name, birth date with slashes or free text fits. Whether a token *encodes* personal data
cannot be checked; the docs say to use a random or sequential id.
"""

from __future__ import annotations

import json
import logging
import re
import threading

from edge.comms.config import MqttConfig, topic
from edge.comms.subscriber import Subscriber

__all__ = ["EXAM_ID_PATTERN", "ExamContext", "ExamListener", "exam_topic", "parse_exam_command"]

log = logging.getLogger(__name__)

EXAM_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def exam_topic(prefix: str, device_id: str) -> str:
    """``<prefix>/<device>/exam/set``."""
    return topic(prefix, device_id, "exam/set")


def parse_exam_command(payload: bytes) -> str | None:
    """The exam id of a command (None ends the exam); ValueError says what was wrong."""
    if not payload:
        return None  # a cleared retained command: no exam
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f'exam command is not JSON ({exc}); expected {{"exam_id": ...}}') from None
    if not isinstance(data, dict) or set(data) != {"exam_id"}:
        raise ValueError('exam command: expected exactly {"exam_id": "<id>"} or {"exam_id": null}')
    exam_id = data["exam_id"]
    if exam_id is None:
        return None
    if not isinstance(exam_id, str) or not EXAM_ID_PATTERN.match(exam_id):
        raise ValueError(
            "exam command: exam_id must be 1-32 letters, digits, '_' or '-' starting with a "
            "letter or digit (an opaque token, never a name)"
        )
    return exam_id


class ExamContext:
    """The current exam id of one device (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exam_id: str | None = None

    def current(self) -> str | None:
        with self._lock:
            return self._exam_id

    def set(self, exam_id: str | None) -> None:
        with self._lock:
            changed = exam_id != self._exam_id
            self._exam_id = exam_id
        if changed:
            log.info("exam %s", f"{exam_id} started" if exam_id else "ended")


class ExamListener:
    """Follows ``<prefix>/<device>/exam/set`` into an :class:`ExamContext` (own MQTT session)."""

    def __init__(self, cfg: MqttConfig, device_id: str, exam: ExamContext) -> None:
        self.exam = exam
        self.topic = exam_topic(cfg.topic_prefix, device_id)
        self._sub = Subscriber(
            cfg,
            self.topic,
            client_id=f"{cfg.resolve_client_id(device_id)}-exam",
            on_raw=self._on_command,
        )

    def _on_command(self, _topic: str, payload: bytes) -> None:
        try:
            self.exam.set(parse_exam_command(payload))
        except ValueError as exc:
            log.error("%s: ignored: %s", self.topic, exc)

    def start(self) -> None:
        # With several brokers this session follows the first only (see Subscriber).
        log.info("exam commands: following %s on %s", self.topic, self._sub.where)
        self._sub.start()

    def stop(self) -> None:
        self._sub.stop()
