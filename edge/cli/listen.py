"""``thermoseg-edge listen``: a reference subscriber for dashboards.

Prints each alert event on one line, or appends it to a SQLite or CSV file. Deliveries are
QoS 1 (at least once), so a re-delivered event is recognised by ``(alert_id, event,
frame_sequence)`` and stored once; an alert's new, update and end events are separate rows.
With ``--client-id`` the broker keeps this listener's session, so events published while it was
away are delivered when it comes back.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import queue
import re
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from edge import DISCLAIMER
from edge.errors import ConfigError, PublishError

__all__ = [
    "AlertSink",
    "CsvSink",
    "PrintSink",
    "SqliteSink",
    "check_device",
    "csv_cell",
    "parse_broker",
    "register",
    "run",
    "terminal_text",
]

log = logging.getLogger(__name__)

Key = tuple[str, str, int]
CSV_FIELDS = (
    "received_at", "alert_id", "event", "device", "timestamp", "opened_at", "frame_sequence",
    "grade", "abnormal", "max_delta_t_c", "regions", "segmenter", "model_sha256",
)  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "listen",
        help="subscribe to thermoseg alerts: print them or store them in SQLite/CSV",
        description="Subscribe to thermoseg alert events (QoS 1) and print them, one line each, "
        "or append them to a SQLite or CSV file without duplicates. " + DISCLAIMER,
    )
    p.add_argument("--broker", required=True, metavar="HOST[:PORT]", help="MQTT broker")
    p.add_argument("--prefix", default="thermoseg", help="topic prefix (default thermoseg)")
    p.add_argument("--device", default="+", help="device id to follow (default +: all)")
    p.add_argument("--username", default=None, help="broker user name")
    p.add_argument(
        "--password-env", default=None, metavar="VAR", help="env variable with the password"
    )
    p.add_argument("--ca", type=Path, default=None, help="CA file: connect with TLS (port 8883)")
    p.add_argument("--cert", type=Path, default=None, help="client certificate (mutual TLS)")
    p.add_argument("--key", type=Path, default=None, help="client key (mutual TLS)")
    p.add_argument("--client-id", default=None, help="keep a persistent session under this id")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--sqlite", type=Path, default=None, help="append events to this SQLite file")
    out.add_argument("--csv", type=Path, default=None, help="append events to this CSV file")
    p.add_argument("--count", type=int, default=None, help="exit 0 after N new events")
    p.add_argument("--timeout", type=float, default=None, help="exit after S seconds")
    p.set_defaults(func=run)


def parse_broker(text: str, tls: bool) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` -> (host, port); 1883 (8883 with TLS) by default."""
    host, port = text, 8883 if tls else 1883
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.removeprefix(":"), text)
    elif text.count(":") == 1:
        host, raw = text.split(":")
        port = _port(raw, text)
    if not host:
        raise ConfigError(f"--broker {text!r}: expected HOST or HOST:PORT")
    return host, port


_DEVICE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MESSAGE_CHARS = 500  # an invalid alert's description is cut here on stderr


def check_device(device: str) -> str:
    """``--device``: ``+`` (all) or one device id; ConfigError before anything subscribes."""
    if device != "+" and not _DEVICE_RE.fullmatch(device):
        raise ConfigError(
            f"--device {device!r}: expected a device id ([A-Za-z0-9_-], at most 64 "
            "characters) or + for all devices"
        )
    return device


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def terminal_text(value: Any) -> str:
    """``value`` as text with control and format characters escaped (no ANSI, no fake lines)."""
    text = str(value)
    if text.isprintable():
        return text
    # Not printable: Cc (ESC, newline), Cf (bidi overrides), line/paragraph separators, ...
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def _port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"--broker {text!r}: port {raw!r} is not a number between 1 and 65535")
    return int(raw)


def _key(payload: dict[str, Any]) -> Key:
    return (str(payload["alert_id"]), str(payload["event"]), int(payload["frame_sequence"]))


def _utf8(text: str) -> str:
    """``text`` that encodes as UTF-8: a lone surrogate (valid in JSON) becomes ``\\udXXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _row(payload: dict[str, Any], received: str) -> dict[str, Any]:
    seg = payload.get("segmenter") or {}
    row = {
        "received_at": received,
        **{k: payload.get(k) for k in ("alert_id", "event", "device", "timestamp", "opened_at")},
        "frame_sequence": payload["frame_sequence"],
        "grade": payload.get("grade"),
        "abnormal": int(bool(payload.get("abnormal"))),
        "max_delta_t_c": payload.get("max_delta_t_c"),
        "regions": len(payload.get("regions") or []),
        "segmenter": seg.get("segmenter"),
        "model_sha256": seg.get("model_sha256"),
    }
    return {k: _utf8(v) if isinstance(v, str) else v for k, v in row.items()}


class AlertSink:
    """Where events go; ``add`` returns False for an event already seen (a re-delivery)."""

    def __init__(self) -> None:
        self.seen: set[Key] = set()

    def add(self, payload: dict[str, Any]) -> bool:
        key = _key(payload)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.write(payload, datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
        return True

    def write(self, payload: dict[str, Any], received: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file."""


class PrintSink(AlertSink):
    def write(self, payload: dict[str, Any], received: str) -> None:
        delta = payload.get("max_delta_t_c")
        line = (
            f"{payload['timestamp']} {payload['device']} {payload['event'].upper():6} "
            f"alert {payload['alert_id'][:8]} grade={payload['grade']} "
            f"abnormal={'yes' if payload['abnormal'] else 'no'} "
            f"regions={len(payload['regions'])} "
            f"max_dT={'-' if delta is None else f'{delta:.2f}°C'} "
            f"frame={payload['frame_sequence']} [{payload['segmenter'].get('segmenter')}]"
        )
        # Anyone may publish on an anonymous broker: no escape sequence reaches the terminal.
        print(terminal_text(line), flush=True)


class CsvSink(AlertSink):
    """Appends rows; rows already in the file count as seen (a restarted listener)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        new = not path.exists() or path.stat().st_size == 0
        if not new:
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                if tuple(reader.fieldnames or ()) != CSV_FIELDS:
                    raise ConfigError(
                        f"--csv {path}: existing header is not {','.join(CSV_FIELDS)}"
                    )
                for r in reader:
                    self.seen.add((r["alert_id"], r["event"], int(r["frame_sequence"])))
        self._file = path.open("a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._file, fieldnames=CSV_FIELDS)
        if new:
            self._writer.writeheader()

    def write(self, payload: dict[str, Any], received: str) -> None:
        self._writer.writerow({k: csv_cell(v) for k, v in _row(payload, received).items()})
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class SqliteSink(AlertSink):
    """One row per event, keyed by (alert_id, event, frame_sequence); the payload kept as JSON."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        # check_same_thread=False: the dashboard (edge.dashboard.store) shares it under a lock.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS alerts (received_at TEXT, alert_id TEXT, event TEXT, "
            "device TEXT, timestamp TEXT, opened_at TEXT, frame_sequence INTEGER, grade TEXT, "
            "abnormal INTEGER, max_delta_t_c REAL, regions INTEGER, segmenter TEXT, "
            "model_sha256 TEXT, payload TEXT, PRIMARY KEY (alert_id, event, frame_sequence))"
        )
        for a, e, s in self._db.execute("SELECT alert_id, event, frame_sequence FROM alerts"):
            self.seen.add((a, e, int(s)))

    def write(self, payload: dict[str, Any], received: str) -> None:
        row = _row(payload, received)
        row["payload"] = _utf8(json.dumps(payload, ensure_ascii=False))
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._db.execute(
            f"INSERT OR IGNORE INTO alerts ({cols}) VALUES ({marks})", tuple(row.values())
        )

    def close(self) -> None:
        self._db.close()


def run(args: argparse.Namespace) -> int:
    from edge.comms.config import MqttConfig, TLSConfig, topic
    from edge.comms.schemas import validate
    from edge.comms.subscriber import Subscriber

    tls = args.ca is not None or args.cert is not None
    host, port = parse_broker(args.broker, tls)
    try:
        cfg = MqttConfig(
            host=host,
            port=port,
            topic_prefix=args.prefix,
            username=args.username,
            password_env=args.password_env,
            tls=TLSConfig(ca=args.ca, cert=args.cert, key=args.key) if tls else None,
        )
    except ValueError as exc:
        raise ConfigError(f"listen options: {exc}") from exc
    pattern = topic(cfg.topic_prefix, check_device(args.device), "alerts")
    sink: AlertSink = (
        SqliteSink(args.sqlite) if args.sqlite else CsvSink(args.csv) if args.csv else PrintSink()
    )
    sub = Subscriber(cfg, pattern, client_id=args.client_id, persistent=args.client_id is not None)
    print(DISCLAIMER, flush=True)
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    new = 0
    try:
        sub.start()
        wait = 10.0 if args.timeout is None else min(10.0, args.timeout)
        if not sub.wait_subscribed(wait):
            why = sub.last_error or "no answer"
            raise PublishError(f"cannot subscribe to {pattern} on {host}:{port}: {why}")
        log.info("listening on %s at %s:%d", pattern, host, port)
        while args.count is None or new < args.count:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            try:
                _, payload = sub.get(timeout=0.5 if left is None else min(0.5, left))
            except queue.Empty:
                continue
            try:
                validate("alert", payload)
            except ValueError as exc:
                why = terminal_text(str(exc)[:_MESSAGE_CHARS])
                print(f"ignoring an invalid alert: {why}", file=sys.stderr)
                continue
            new += int(sink.add(payload))
    finally:
        sub.stop()
        sink.close()
    if args.count is not None and new < args.count:
        print(
            f"timed out after {args.timeout:g} s with {new} of {args.count} events", file=sys.stderr
        )
        return 1
    return 0
