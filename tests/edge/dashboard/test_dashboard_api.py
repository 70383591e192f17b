"""The dashboard's store and JSON/CSV endpoints against a real broker and a real server process."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from edge.comms.config import MqttConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.dashboard.auth import PasswordCheck, hash_password, load_hash
from edge.errors import ConfigError
from edge.io.snapshot import encode_png
from edge.testing.broker import LocalBroker
from tests.edge.dashboard.helpers import Dashboard
from tests.edge.mqtt_helpers import alert_payload, collect, wait_for


def _png() -> bytes:
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[5:10, 5:10] = (255, 0, 0)
    return encode_png(rgb)


def test_alerts_are_grouped_deduplicated_filtered_exported_and_acknowledged(
    broker: LocalBroker, tmp_path: Path
) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port, reconnect_min_s=0.2, reconnect_max_s=0.5)
    acks = Subscriber(cfg, "thermoseg/+/alerts/+/ack")
    acks.start()
    assert acks.wait_subscribed(10)
    dash = Dashboard(broker.port, tmp_path / "dash.sqlite3")
    box = Outbox(tmp_path / "outbox.sqlite", OutboxConfig())
    pub = MqttPublisher(cfg, "pi-a", box)
    try:
        dash.wait_ready()
        time.sleep(0.5)  # subscribed
        pub.start()
        png = _png()
        new = alert_payload(1, device="pi-a")
        alert_id = new["alert_id"]
        topic = pub.publish_snapshot(alert_id, png)
        new["exam_id"] = "EX-1"
        new["snapshot"] = {"topic": topic, "sha256": hashlib.sha256(png).hexdigest(),
                           "bytes": len(png), "width": 30, "height": 20, "frame_sequence": 1}  # fmt: skip
        pub.publish_alert(new)
        pub.publish_alert(new)  # a re-delivery: stored once
        end = alert_payload(2, device="pi-a", alert_id=alert_id, event="end")
        end["exam_id"] = "EX-1"
        pub.publish_alert(end)
        other = alert_payload(3, device="pi-a")  # another alert, no exam
        pub.publish_alert(other)
        assert wait_for(lambda: len(dash.get("/api/alerts")) == 2, 20), dash.get("/api/alerts")
        assert wait_for(lambda: dash.get("/api/devices")[0]["state"] == "online", 10)

        got = dash.get("/api/alerts?exam=EX-1")
        assert [g["alert_id"] for g in got] == [alert_id]
        group = got[0]
        assert [e["event"] for e in group["events"]] == ["new", "end"]
        assert group["state"] == "ended" and group["end_reason"] == "normal_frames"
        assert group["regions"] and group["max_delta_t_c"] == 1.5
        assert "diagnos" in group["disclaimer"]
        status, body, headers = dash.request(f"/api/alerts/{alert_id}/snapshot.png")
        assert status == 200 and body == png and headers["content-type"] == "image/png"
        assert dash.get("/api/alerts?grade=advanced") == []
        assert len(dash.get("/api/alerts?since=2000-01-01&until=2999-01-01")) == 2
        assert dash.get("/api/alerts?until=2000-01-01") == []
        today = new["opened_at"][:10]
        assert len(dash.get(f"/api/alerts?since={today}&until={today}")) == 2  # the whole day
        assert dash.request("/api/alerts?since=yesterday")[0] == 400
        status, body, _ = dash.request("/api/alerts?grade=stage4")
        assert status == 400 and b"grade" in body

        status, body, _ = dash.request(f"/api/alerts/{alert_id}/ack", {"by": "AB", "note": "seen"})
        assert status == 200, body
        sent = collect(acks, 1, timeout=10, leaf="/ack")
        assert sent[0]["alert_id"] == alert_id and sent[0]["by"] == "AB"
        assert sent[0]["schema"] == "thermoseg.ack/1"
        assert dash.get(f"/api/alerts/{alert_id}")["acks"][0]["note"] == "seen"
        status, _, _ = dash.request(f"/api/alerts/{alert_id}/ack", {"by": "", "note": ""})
        assert status == 400

        status, body, _ = dash.request("/api/alerts.csv?device=pi-a")
        lines = body.decode().splitlines()
        assert lines[0].startswith("# ") and "diagnos" in lines[0]
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
        by_id = {r["alert_id"]: r for r in rows}
        assert by_id[alert_id]["acked_by"] == "AB" and by_id[alert_id]["events"] == "2"

        pub.stop()  # a clean stop: the retained status says stopped
        assert wait_for(lambda: dash.get("/api/devices")[0]["state"] == "stopped", 10)
    finally:
        pub.stop()
        box.close()
        acks.stop()
        out = dash.stop()
    # The store survives a restart without duplicates.
    again = Dashboard(broker.port, tmp_path / "dash.sqlite3")
    try:
        again.wait_ready()
        time.sleep(1.0)  # the retained status is delivered again
        assert len(again.get("/api/alerts")) == 2, out
    finally:
        again.stop()


def test_binding_beyond_loopback_needs_a_password_and_a_password_is_then_enforced(
    broker: LocalBroker, tmp_path: Path
) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "edge.cli.main", "dashboard", "--broker", f"127.0.0.1:{broker.port}",
         "--host", "0.0.0.0", "--db", str(tmp_path / "d.sqlite3")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "--password-file" in refused.stderr

    hashed = subprocess.run(
        [sys.executable, "-m", "edge.cli.main", "dashboard", "--hash-password"],
        input="correct horse\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert hashed.returncode == 0 and hashed.stdout.startswith("pbkdf2_sha256$")
    assert "correct horse" not in hashed.stdout
    (tmp_path / "hash").write_text(hashed.stdout)
    good = "Basic " + base64.b64encode(b"clinic:correct horse").decode()
    bad = "Basic " + base64.b64encode(b"clinic:wrong").decode()
    dash = Dashboard(broker.port, tmp_path / "d.sqlite3", "--password-file", str(tmp_path / "hash"))
    try:
        dash.wait_ready(headers={"Authorization": good})
        assert dash.request("/api/devices")[0] == 401
        assert dash.request("/api/devices", headers={"Authorization": bad})[0] == 401
        assert dash.request("/", headers={"Authorization": good})[0] == 200
    finally:
        dash.stop()


def test_a_hash_file_that_is_not_a_hash_is_refused_and_a_real_one_checks_passwords(
    tmp_path: Path,
) -> None:
    (tmp_path / "h").write_text("plaintext-password\n")
    with pytest.raises(ConfigError, match="pbkdf2_sha256"):
        load_hash(tmp_path / "h")
    (tmp_path / "ok").write_text(hash_password("s3cret-pass", iterations=1000) + "\n")
    check = PasswordCheck(load_hash(tmp_path / "ok"))

    def basic(text: bytes) -> str:
        return "Basic " + base64.b64encode(text).decode()

    assert check.user(basic(b"u:s3cret-pass")) == "u"
    assert check.user(basic(b"u:s3cret-pass")) == "u"  # the cached path
    assert check.user(basic(b"u:wrong-pass")) is None
    assert check.user("Bearer x") is None and check.user(None) is None
