"""`listen` against hostile publishers on an anonymous broker (a real mosquitto, raw messages)."""

from __future__ import annotations

import contextlib
import csv
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from edge.cli.listen import CsvSink, PrintSink, SqliteSink, csv_cell, terminal_text
from edge.cli.main import main
from edge.comms._paho import new_client
from edge.comms.config import MqttConfig
from edge.comms.schemas import validate
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload

DEVICE = "pi-hostile"
TOPIC = f"thermoseg/{DEVICE}/alerts"


def _raw_publish(broker: LocalBroker, payloads: list[dict[str, Any]]) -> None:
    """Publish exactly these bytes (no validation), as any anonymous client could."""
    client = new_client(MqttConfig(host=broker.host, port=broker.port), "evil", True)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        for p in payloads:
            client.publish(TOPIC, json.dumps(p).encode(), qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def _listen(broker: LocalBroker, *extra: str) -> int:
    return main(
        ["listen", "--broker", f"{broker.host}:{broker.port}", "--client-id", "dash", *extra]
    )


def _hostile() -> list[dict[str, Any]]:
    huge = alert_payload(2**70, device=DEVICE)
    newline_device = alert_payload(3, device=DEVICE)
    newline_device["device"] = "dev-1\n"
    formula = alert_payload(4, device=DEVICE)
    formula["segmenter"] = {"segmenter": '=HYPERLINK("http://x.invalid","?")', "model_sha256": None}
    cmd = alert_payload(5, device=DEVICE)
    cmd["segmenter"] = {
        "segmenter": "\x1b[2J\x1b[31mFAKE\n2026 NEW alert",
        "model_sha256": "=cmd|' /C calc'!A0",
    }
    return [huge, newline_device, formula, cmd]


def test_a_frame_sequence_beyond_64_bits_and_a_device_with_a_newline_fail_the_schema() -> None:
    huge = alert_payload(2**70)
    with pytest.raises(ValueError, match="frame_sequence"):
        validate("alert", huge)
    bad = alert_payload(1)
    bad["device"] = "dev-1\n"
    with pytest.raises(ValueError, match="device"):
        validate("alert", bad)
    late = alert_payload(1)
    late["timestamp"] += "\n"
    with pytest.raises(ValueError, match="timestamp"):
        validate("alert", late)
    validate("alert", alert_payload(2**63 - 100))  # area_px is 12 + seq


def test_listen_to_sqlite_ignores_invalid_alerts_and_keeps_listening(
    broker: LocalBroker, tmp_path: Path
) -> None:
    db = tmp_path / "alerts.sqlite"
    assert _listen(broker, "--count", "0", "--timeout", "5", "--sqlite", str(db)) == 0
    _raw_publish(broker, _hostile())
    assert _listen(broker, "--sqlite", str(db), "--count", "2", "--timeout", "20") == 0
    rows = sqlite3.connect(db).execute("SELECT frame_sequence, device FROM alerts").fetchall()
    assert sorted(rows) == [(4, DEVICE), (5, DEVICE)]


def test_listen_to_csv_neutralises_formula_cells(broker: LocalBroker, tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    assert _listen(broker, "--count", "0", "--timeout", "5", "--csv", str(out)) == 0
    _raw_publish(broker, _hostile())
    assert _listen(broker, "--csv", str(out), "--count", "2", "--timeout", "20") == 0
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = [c for r in rows for c in r.values()]
    assert '\'=HYPERLINK("http://x.invalid","?")' in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)


def test_listen_prints_escape_sequences_and_newlines_escaped(
    broker: LocalBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listen(broker, "--count", "0", "--timeout", "5") == 0
    _raw_publish(broker, _hostile())
    capsys.readouterr()
    assert _listen(broker, "--count", "2", "--timeout", "20") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 3  # the disclaimer and one line per valid event: no injected line
    assert "\\x1b[2J\\x1b[31mFAKE\\n2026 NEW alert" in lines[2]


def test_listen_refuses_a_wildcard_device_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for device in ("#", "a/b", "+x", "dev\n"):
        assert main(["listen", "--broker", "127.0.0.1:1", "--device", device]) == 1
        err = capsys.readouterr().err
        assert "--device" in err and "Traceback" not in err


def test_sinks_store_text_a_terminal_or_spreadsheet_cannot_run(tmp_path: Path) -> None:
    payload = alert_payload(7)
    payload["segmenter"] = {"segmenter": "@SUM(1+1)\ud800", "model_sha256": "-2+3"}
    csv_sink, db_sink = CsvSink(tmp_path / "a.csv"), SqliteSink(tmp_path / "a.sqlite")
    for sink in (csv_sink, db_sink, PrintSink()):
        assert sink.add(payload)
        sink.close()
    with (tmp_path / "a.csv").open(newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["segmenter"] == "'@SUM(1+1)\\ud800" and row["model_sha256"] == "'-2+3"
    with contextlib.closing(sqlite3.connect(tmp_path / "a.sqlite")) as db:
        stored = db.execute("SELECT payload FROM alerts").fetchone()
    assert json.loads(stored[0])["segmenter"]["segmenter"] == "@SUM(1+1)\ud800"
    assert csv_cell(-1.5) == -1.5 and csv_cell("\tx") == "'\tx"
    assert terminal_text("a\u202eb\u2028c") == "a\\u202eb\\u2028c"


def test_a_restarted_csv_listener_still_recognises_rows_it_wrote(tmp_path: Path) -> None:
    payload = alert_payload(3, alert_id=uuid.uuid4().hex)
    payload["device"] = "-dev"
    sink = CsvSink(tmp_path / "a.csv")
    assert sink.add(payload)
    sink.close()
    again = CsvSink(tmp_path / "a.csv")
    assert not again.add(payload)
    again.close()
