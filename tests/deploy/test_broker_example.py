"""deploy/mosquitto/mosquitto.conf itself, started by a real mosquitto (only its paths and port
rewritten): TLS only, no anonymous access, per-device users, the ACL; a device publishes an alert
and its snapshot over TLS and the dashboard user receives them."""

from __future__ import annotations

import getpass
import hashlib
import os
import queue
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.comms.config import MqttConfig, TLSConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.subscriber import Subscriber
from edge.device.evidence import EvidenceConfig, snapshots_allowed
from edge.testing.broker import find_mosquitto, free_port
from tests.edge.comms.test_mqtt_tls import _ca, _leaf
from tests.edge.mqtt_helpers import alert_payload

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
USERS = {"pi-a": "pw-a-123", "dashboard": "pw-dash-123"}


@pytest.fixture
def example_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    ca = _ca(tmp_path, "clinic-ca")
    server = _leaf(tmp_path, "broker", ca, "serverAuth", "IP:127.0.0.1,DNS:localhost")
    passwd = tmp_path / "passwd"
    passwd.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    subprocess.run([tool, "-U", str(passwd)], check=True, capture_output=True)
    port = free_port()
    text = (EXAMPLE / "mosquitto.conf").read_text()
    for old, new in {
        "/etc/mosquitto/passwd": str(passwd),
        "/etc/mosquitto/thermoseg.acl": str(EXAMPLE / "acl"),
        "/etc/mosquitto/certs/ca.crt": str(ca[0]),
        "/etc/mosquitto/certs/broker.crt": str(server[0]),
        "/etc/mosquitto/certs/broker.key": str(server[1]),
        "listener 8883": f"listener {port} 127.0.0.1",
    }.items():
        assert old in text, f"the example config no longer has {old!r}"
        text = text.replace(old, new)
    text += f"persistence_location {tmp_path}/\nlog_dest file {tmp_path / 'mosquitto.log'}\n"
    if os.geteuid() == 0:
        text += f"user {getpass.getuser()}\n"
    conf = tmp_path / "thermoseg.conf"
    conf.write_text(text)
    proc = subprocess.Popen([str(find_mosquitto()), "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, ca[0]
    finally:
        proc.terminate()
        proc.wait(10)


def _cfg(port: int, ca: Path | None, user: str) -> MqttConfig:
    return MqttConfig(
        host="127.0.0.1", port=port, username=user, password=USERS[user],  # type: ignore[arg-type]
        tls=TLSConfig(ca=ca) if ca else None, reconnect_min_s=0.2, reconnect_max_s=0.5,
    )  # fmt: skip


def test_the_example_config_serves_tls_users_and_the_acl(
    example_broker: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = example_broker
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    dash = Subscriber(
        _cfg(port, ca, "dashboard"), "thermoseg/#", on_raw=lambda t, b: got.put((t, b))
    )
    dash.start()
    assert dash.wait_subscribed(10), dash.last_error
    device = _cfg(port, ca, "pi-a")
    assert snapshots_allowed(EvidenceConfig(), device.model_copy(update={"host": "broker.lan"}))[0]
    box = Outbox(tmp_path / "o.sqlite", OutboxConfig())
    pub = MqttPublisher(device, "pi-a", box)
    pub.start()
    try:
        alert = alert_payload(1, device="pi-a")
        png = b"\x89PNG\r\n\x1a\n" + bytes(64)
        pub.publish_snapshot(alert["alert_id"], png)
        pub.publish_alert(alert)
        seen: dict[str, bytes] = {}
        deadline = time.monotonic() + 15
        while "thermoseg/pi-a/alerts" not in seen and time.monotonic() < deadline:
            try:
                t, b = got.get(timeout=0.2)
                seen[t] = b
            except queue.Empty:
                continue
        snap = seen[f"thermoseg/pi-a/alerts/{alert['alert_id']}/snapshot"]
        assert hashlib.sha256(snap).digest() == hashlib.sha256(png).digest()
        assert "thermoseg/pi-a/alerts" in seen
    finally:
        pub.stop()
        box.close()
        dash.stop()
    # Plain TCP gets nowhere: the only listener speaks TLS.
    plain = Subscriber(_cfg(port, None, "dashboard"), "thermoseg/#")
    plain.start()
    try:
        assert not plain.wait_subscribed(3)
    finally:
        plain.stop()
