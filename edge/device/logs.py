"""The ``[logging]`` config section and the log formats an entry point can install.

Three formats: ``text`` (a timestamp first, for a terminal or a file), ``journal`` (no timestamp:
journald stamps every line itself, and a ``<N>`` syslog priority prefix so ``journalctl -p``
filters by level) and ``json`` (one JSON object per line, for a log shipper). ``auto`` picks
``journal`` when stderr is connected to the journal (systemd sets ``$JOURNAL_STREAM``), else
``text``. Logs are for people: nothing reads them as an API.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "JournalFormatter",
    "JsonFormatter",
    "LoggingConfig",
    "make_formatter",
    "on_journal",
    "resolve_format",
]

LogFormat = Literal["auto", "text", "journal", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# syslog priorities (sd-daemon(3)): journald reads a leading "<N>" as the line's priority.
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class LoggingConfig(BaseModel):
    """What the daemon logs and how (the command line's ``-v`` can only add detail)."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="lowest level logged; INFO shows connections, alerts, camera reopens"
    )
    format: LogFormat = Field(
        "auto",
        description="text, journal (no timestamp, syslog priority), json (one object a line); "
        "auto: journal under systemd ($JOURNAL_STREAM), else text",
    )


def on_journal(stream_fd: int | None = None) -> bool:
    """True when stderr is the journal stream systemd named in ``$JOURNAL_STREAM`` (dev:inode)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(sys.stderr.fileno() if stream_fd is None else stream_fd)
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def resolve_format(fmt: LogFormat) -> Literal["text", "journal", "json"]:
    """``auto`` made concrete for this process."""
    if fmt == "auto":
        return "journal" if on_journal() else "text"
    return fmt


class JournalFormatter(logging.Formatter):
    """``<6>edge.comms.publisher: MQTT connected ...`` (journald adds time, host and unit)."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        prio = _PRIORITY.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        text = super().format(record)
        # A traceback spans several lines; prefix each so journald keeps the priority.
        return "\n".join(f"<{prio}>{line}" for line in text.splitlines() or [""])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UNIX s), level, logger, message, exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def make_formatter(fmt: LogFormat) -> logging.Formatter:
    """The formatter for ``fmt`` (``auto`` resolved for this process)."""
    concrete = resolve_format(fmt)
    if concrete == "journal":
        return JournalFormatter()
    if concrete == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)
