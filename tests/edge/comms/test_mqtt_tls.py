"""TLS and passwords against a real mosquitto with certificates made by `openssl` for the test."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.comms.config import MqttConfig, TLSConfig
from edge.comms.outbox import Outbox, OutboxConfig
from edge.comms.publisher import MqttPublisher
from edge.comms.schemas import validate
from edge.comms.subscriber import Subscriber
from edge.errors import ConfigError
from edge.testing.broker import BrokerTLS, LocalBroker
from tests.edge.mqtt_helpers import alert_payload, collect, dedup, wait_for

DEVICE = "pi-tls"
USER, PASSWORD = "edge", "tls-test-password"


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"openssl {' '.join(args)} failed: {proc.stderr}"


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.crt", folder / f"{name}.key"


def _leaf(
    folder: Path, name: str, ca: tuple[Path, Path], usage: str, san: str | None
) -> tuple[Path, Path]:
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip
    ext = folder / f"{name}.ext"
    lines = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        f"extendedKeyUsage={usage}",
        "authorityKeyIdentifier=keyid",
        "subjectKeyIdentifier=hash",
    ]
    if san:
        lines.append(f"subjectAltName={san}")
    ext.write_text("\n".join(lines) + "\n")
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", str(ca[0]), "-CAkey", str(ca[1]),
        "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", str(ext),
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.crt", folder / f"{name}.key"


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: tuple[Path, Path]
    client: tuple[Path, Path]
    other_ca: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = _ca(folder, "test-ca")
    server = _leaf(folder, "broker", ca, "serverAuth", "IP:127.0.0.1,DNS:localhost")
    client = _leaf(folder, "device", ca, "clientAuth", None)
    other_ca, _ = _ca(folder, "stranger-ca")
    return Pki(ca=ca[0], server=server, client=client, other_ca=other_ca)


@pytest.fixture
def tls_broker(pki: Pki, tmp_path: Path) -> Iterator[LocalBroker]:
    tls = BrokerTLS(ca=pki.ca, cert=pki.server[0], key=pki.server[1], require_certificate=True)
    with LocalBroker(users={USER: PASSWORD}, tls=tls, workdir=tmp_path / "broker") as b:
        yield b


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite", OutboxConfig())
    yield box
    box.close()


def _cfg(b: LocalBroker, pki: Pki, *, password: str | None = PASSWORD, **tls: object) -> MqttConfig:
    tls_cfg = {"ca": pki.ca, "cert": pki.client[0], "key": pki.client[1], **tls}
    return MqttConfig(
        host=b.host,
        port=b.port,
        username=USER if password else None,
        password=password,  # type: ignore[arg-type]
        tls=TLSConfig(**tls_cfg),  # type: ignore[arg-type]
        reconnect_min_s=0.2,
        reconnect_max_s=0.5,
    )


def _refused(pub: MqttPublisher) -> str:
    pub.start()
    try:
        assert wait_for(lambda: pub.last_error is not None, 15), "no error was reported"
        assert not pub.connected
        return str(pub.last_error)
    finally:
        pub.stop(timeout=1)


def test_tls_broker_accepts_the_device_with_its_certificate_and_password(
    tls_broker: LocalBroker, pki: Pki, outbox: Outbox
) -> None:
    cfg = _cfg(tls_broker, pki)
    sub = Subscriber(cfg, f"thermoseg/{DEVICE}/alerts", client_id="tls-dashboard")
    sub.start()
    assert sub.wait_subscribed(10), sub.last_error
    pub = MqttPublisher(cfg, DEVICE, outbox)
    pub.start()
    try:
        sent = alert_payload(7, device=DEVICE)
        pub.publish_alert(sent)
        got = dedup(collect(sub, 1, timeout=15))
    finally:
        pub.stop()
        sub.stop()
    assert [m["alert_id"] for m in got] == [sent["alert_id"]]
    validate("alert", got[0])


def test_tls_broker_refuses_the_device_without_a_password(
    tls_broker: LocalBroker, pki: Pki, outbox: Outbox
) -> None:
    error = _refused(MqttPublisher(_cfg(tls_broker, pki, password=None), DEVICE, outbox))
    assert error.startswith("broker refused: ")


def test_tls_broker_refuses_the_device_with_a_wrong_password(
    tls_broker: LocalBroker, pki: Pki, outbox: Outbox
) -> None:
    error = _refused(MqttPublisher(_cfg(tls_broker, pki, password="guess"), DEVICE, outbox))
    assert "password" in error


def test_tls_broker_refuses_the_device_without_a_client_certificate(
    tls_broker: LocalBroker, pki: Pki, outbox: Outbox
) -> None:
    cfg = _cfg(tls_broker, pki, cert=None, key=None)
    error = _refused(MqttPublisher(cfg, DEVICE, outbox))
    assert "certificate" in error


def test_device_that_does_not_trust_the_broker_certificate_reports_verify_failure(
    tls_broker: LocalBroker, pki: Pki, outbox: Outbox
) -> None:
    cfg = _cfg(tls_broker, pki, ca=pki.other_ca)
    error = _refused(MqttPublisher(cfg, DEVICE, outbox))
    assert "certificate verify failed" in error


def test_client_key_can_come_from_a_systemd_credential(
    tls_broker: LocalBroker,
    pki: Pki,
    outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "mqtt-client-key").write_bytes(pki.client[1].read_bytes())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    cfg = _cfg(tls_broker, pki, key=None, key_credential="mqtt-client-key")
    pub = MqttPublisher(cfg, DEVICE, outbox)
    pub.start()
    try:
        assert pub.wait_connected(15), pub.last_error
    finally:
        pub.stop()


def test_missing_tls_file_raises_config_error_naming_the_key(
    pki: Pki, outbox: Outbox, tmp_path: Path
) -> None:
    cfg = MqttConfig(tls=TLSConfig(ca=tmp_path / "nowhere-ca.pem"))
    with pytest.raises(ConfigError, match=r"mqtt\.tls\.ca.*nowhere-ca\.pem"):
        MqttPublisher(cfg, DEVICE, outbox)


def test_client_key_location_is_neither_in_errors_nor_in_the_config_repr(
    pki: Pki, outbox: Outbox, tmp_path: Path
) -> None:
    hidden = tmp_path / "very-private-place" / "device.key"
    tls = TLSConfig(ca=pki.ca, cert=pki.client[0], key=hidden)
    assert "very-private-place" not in repr(tls)
    with pytest.raises(ConfigError, match=r"mqtt\.tls\.key") as info:
        MqttPublisher(MqttConfig(tls=tls), DEVICE, outbox)
    assert "very-private-place" not in str(info.value)
