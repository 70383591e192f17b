"""The dashboard's SQLite store: the ``listen`` alert table plus snapshots, devices and
acknowledgements, each deduplicated (QoS 1 re-deliveries and restarts store nothing twice).

Thread-safe: the MQTT thread writes while the web app reads, under one lock.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from edge.cli.listen import SqliteSink

__all__ = ["GRADE_ORDER", "DashboardStore"]

GRADE_ORDER = ("none", "initial", "middle", "advanced")

_TABLES = """
CREATE TABLE IF NOT EXISTS snapshots (
    alert_id TEXT, sha256 TEXT, device TEXT, received_at TEXT, png BLOB,
    PRIMARY KEY (alert_id, sha256)
);
CREATE TABLE IF NOT EXISTS devices (
    device TEXT PRIMARY KEY, state TEXT, status_at TEXT, version TEXT,
    stats TEXT, stats_at TEXT, seen_at TEXT
);
CREATE TABLE IF NOT EXISTS acks (
    alert_id TEXT, device TEXT, by TEXT, note TEXT, at TEXT,
    PRIMARY KEY (alert_id, by, at)
);
CREATE INDEX IF NOT EXISTS alerts_by_alert ON alerts (alert_id);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DashboardStore(SqliteSink):
    """Alerts (one row per event, as ``listen --sqlite``), snapshots, device state, acks."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_TABLES)

    # -- writes (MQTT thread, web app) ------------------------------------------------------
    def add(self, payload: dict[str, Any]) -> bool:
        with self.lock:
            return super().add(payload)

    def add_snapshot(self, alert_id: str, sha256: str, device: str, png: bytes) -> bool:
        with self.lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO snapshots VALUES (?, ?, ?, ?, ?)",
                (alert_id, sha256, device, now_iso(), png),
            )
            return cur.rowcount > 0

    def set_status(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO devices (device, state, status_at, version, seen_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(device) DO UPDATE SET state=excluded.state, "
                "status_at=excluded.status_at, version=excluded.version, seen_at=excluded.seen_at",
                (
                    payload["device"],
                    payload["state"],
                    payload.get("timestamp"),
                    payload.get("version"),
                    now_iso(),
                ),
            )

    def set_stats(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO devices (device, stats, stats_at, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(device) DO UPDATE SET stats=excluded.stats, "
                "stats_at=excluded.stats_at, seen_at=excluded.seen_at",
                (payload["device"], json.dumps(payload), payload.get("timestamp"), now_iso()),
            )

    def add_ack(self, alert_id: str, device: str, by: str, note: str, at: str) -> bool:
        with self.lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO acks VALUES (?, ?, ?, ?, ?)",
                (alert_id, device, by, note, at),
            )
            return cur.rowcount > 0

    # -- reads (web app) --------------------------------------------------------------------
    def devices(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._db.execute(
                "SELECT device, state, status_at, version, stats, stats_at FROM devices "
                "ORDER BY device"
            ).fetchall()
        out = []
        for device, state, status_at, version, stats, stats_at in rows:
            s = json.loads(stats) if stats else {}
            out.append(
                {
                    "device": device,
                    "state": state or "unknown",
                    "status_at": status_at,
                    "version": version,
                    "camera": (s.get("camera") or {}).get("state"),
                    "fps": s.get("fps"),
                    "outbox_depth": s.get("outbox_depth"),
                    "mqtt_connected": s.get("mqtt_connected"),
                    "stats_at": stats_at,
                }
            )
        return out

    def device(self, name: str) -> dict[str, Any] | None:
        return next((d for d in self.devices() if d["device"] == name), None)

    def snapshot(self, alert_id: str, sha256: str | None = None) -> bytes | None:
        """A snapshot's PNG (the latest of the alert when ``sha256`` is None)."""
        query = "SELECT png FROM snapshots WHERE alert_id = ?"
        args: tuple[Any, ...] = (alert_id,)
        if sha256:
            query += " AND sha256 = ?"
            args += (sha256,)
        with self.lock:
            row = self._db.execute(query + " ORDER BY received_at DESC LIMIT 1", args).fetchone()
        return None if row is None else bytes(row[0])

    def alerts(
        self,
        *,
        device: str | None = None,
        exam: str | None = None,
        grade: str | None = None,
        since: str | None = None,
        until: str | None = None,
        alert_id: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Alerts (events grouped by alert id), newest first, filtered."""
        where, args = [], []
        for column, value in (("device", device), ("alert_id", alert_id)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since:
            where.append("opened_at >= ?")
            args.append(since)
        if until:
            where.append("opened_at < ?")
            args.append(_end_of(until))
        sql = "SELECT payload, received_at FROM alerts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY received_at, frame_sequence"
        with self.lock:
            rows = self._db.execute(sql, args).fetchall()
            acks = self._db.execute(
                "SELECT alert_id, by, note, at FROM acks ORDER BY at"
            ).fetchall()
        ack_by_alert: dict[str, list[dict[str, str]]] = {}
        for a_id, by, note, at in acks:
            ack_by_alert.setdefault(a_id, []).append({"by": by, "note": note, "at": at})
        groups: dict[str, dict[str, Any]] = {}
        for payload_text, received in rows:
            p = json.loads(payload_text)
            g = groups.setdefault(p["alert_id"], _new_group(p))
            _merge(g, p, received)
        out = []
        for g in groups.values():
            if exam and g["exam_id"] != exam:
                continue
            if grade and g["peak_grade"] != grade:
                continue
            g["acks"] = ack_by_alert.get(g["alert_id"], [])
            out.append(g)
        out.sort(key=lambda g: g["last_received_at"], reverse=True)
        return out[:limit]


def _end_of(until: str) -> str:
    """A bare date (the page's date field) includes that whole day; a timestamp is exclusive."""
    if len(until) == 10:
        return (date.fromisoformat(until) + timedelta(days=1)).isoformat()
    return until


def _new_group(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert_id": p["alert_id"],
        "device": p["device"],
        "exam_id": p.get("exam_id"),
        "opened_at": p["opened_at"],
        "state": "open",
        "end_reason": None,
        "ended_at": None,
        "grade": p["grade"],
        "peak_grade": "none",
        "max_delta_t_c": None,
        "regions": [],
        "events": [],
        "snapshot": None,
        "disclaimer": p.get("disclaimer"),
        "last_received_at": "",
    }


def _merge(g: dict[str, Any], p: dict[str, Any], received: str) -> None:
    keep = ("event", "timestamp", "grade", "frame_sequence")
    g["events"].append({k: p[k] for k in keep})
    g["last_received_at"] = max(g["last_received_at"], received)
    if GRADE_ORDER.index(p["grade"]) > GRADE_ORDER.index(g["peak_grade"]):
        g["peak_grade"] = p["grade"]
    if p["event"] == "end":
        g["state"], g["end_reason"], g["ended_at"] = "ended", p.get("end_reason"), p["timestamp"]
        return
    g["grade"] = p["grade"]
    g["regions"] = p.get("regions") or []
    dt = p.get("max_delta_t_c")
    if dt is not None:
        g["max_delta_t_c"] = dt if g["max_delta_t_c"] is None else max(g["max_delta_t_c"], dt)
    if p.get("snapshot"):
        g["snapshot"] = p["snapshot"]
