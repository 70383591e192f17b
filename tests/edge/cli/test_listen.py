"""`thermoseg-edge listen` against a real mosquitto: print, SQLite and CSV without duplicates."""

from __future__ import annotations

import csv
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge import DISCLAIMER
from edge.cli.listen import parse_broker
from edge.cli.main import main
from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.errors import ConfigError
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import alert_payload, wait_for

DEVICE = "pi-listen"


@pytest.fixture
def publish(broker: LocalBroker, tmp_path: Path) -> Iterator[Any]:
    """publish(payloads): send through a real publisher and wait until the broker has them all."""
    box = Outbox(tmp_path / "outbox.sqlite", OutboxConfig())
    pub = MqttPublisher(MqttConfig(host=broker.host, port=broker.port), DEVICE, box)
    pub.start()

    def send(payloads: list[dict[str, Any]]) -> None:
        for p in payloads:
            pub.publish_alert(p)
        assert wait_for(lambda: box.depth() == 0, 15), pub.last_error

    yield send
    pub.stop()
    box.close()


def _one_alert() -> list[dict[str, Any]]:
    alert_id = uuid.uuid4().hex
    return [
        alert_payload(1, device=DEVICE, alert_id=alert_id, event="new"),
        alert_payload(5, device=DEVICE, alert_id=alert_id, event="update"),
        alert_payload(9, device=DEVICE, alert_id=alert_id, event="update"),
        alert_payload(14, device=DEVICE, alert_id=alert_id, event="end"),
    ]


def _listen(broker: LocalBroker, *extra: str) -> int:
    return main(
        ["listen", "--broker", f"{broker.host}:{broker.port}", "--client-id", "dash", *extra]
    )


def test_listen_stores_each_event_once_in_sqlite_even_when_redelivered(
    broker: LocalBroker, publish: Any, tmp_path: Path
) -> None:
    db = tmp_path / "alerts.sqlite"
    assert (
        _listen(broker, "--count", "0", "--timeout", "5", "--sqlite", str(db)) == 0
    )  # registers the session
    events = _one_alert()
    publish([*events, events[0], events[3]])  # the first and last delivered twice

    assert _listen(broker, "--sqlite", str(db), "--count", "4", "--timeout", "20") == 0
    rows = (
        sqlite3.connect(db)
        .execute("SELECT event, frame_sequence FROM alerts ORDER BY frame_sequence")
        .fetchall()
    )
    assert rows == [("new", 1), ("update", 5), ("update", 9), ("end", 14)]

    # A restarted listener fed the same events again adds nothing.
    publish(events[:2])
    assert _listen(broker, "--sqlite", str(db), "--count", "1", "--timeout", "1") == 1
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM alerts").fetchone() == (4,)


def test_listen_appends_csv_rows_with_a_header_and_no_duplicates(
    broker: LocalBroker, publish: Any, tmp_path: Path
) -> None:
    out = tmp_path / "alerts.csv"
    assert _listen(broker, "--count", "0", "--timeout", "5", "--csv", str(out)) == 0
    events = _one_alert()
    publish([*events, events[1]])
    assert _listen(broker, "--csv", str(out), "--count", "4", "--timeout", "20") == 0
    publish(events)
    assert _listen(broker, "--csv", str(out), "--count", "1", "--timeout", "1") == 1
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["event"], r["frame_sequence"]) for r in rows] == [
        ("new", "1"),
        ("update", "5"),
        ("update", "9"),
        ("end", "14"),
    ]
    assert {r["alert_id"] for r in rows} == {events[0]["alert_id"]}


def test_listen_prints_the_disclaimer_once_then_one_line_per_event(
    broker: LocalBroker, publish: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listen(broker, "--count", "0", "--timeout", "5") == 0
    capsys.readouterr()
    events = _one_alert()
    publish([events[0], events[0], events[3]])
    assert _listen(broker, "--count", "2", "--timeout", "20") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == DISCLAIMER
    assert len(lines) == 3
    assert " NEW " in lines[1] and events[0]["alert_id"][:8] in lines[1]
    assert " END " in lines[2]


def test_listen_with_a_wrong_password_exits_1_naming_the_broker_and_the_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THERMOSEG_LISTEN_PW", "not-it")
    with LocalBroker(users={"dash": "secret"}, workdir=tmp_path / "b") as b:
        rc = main(
            ["listen", "--broker", f"{b.host}:{b.port}", "--username", "dash",
             "--password-env", "THERMOSEG_LISTEN_PW", "--timeout", "3"]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1
    assert f"{b.host}:{b.port}" in err and "refused" in err
    assert "not-it" not in err


def test_broker_argument_accepts_host_port_and_defaults_by_tls() -> None:
    assert parse_broker("mqtt.local", tls=False) == ("mqtt.local", 1883)
    assert parse_broker("mqtt.local", tls=True) == ("mqtt.local", 8883)
    assert parse_broker("10.0.0.2:1884", tls=False) == ("10.0.0.2", 1884)
    assert parse_broker("[::1]:1999", tls=False) == ("::1", 1999)
    with pytest.raises(ConfigError, match="port"):
        parse_broker("host:99999", tls=False)
