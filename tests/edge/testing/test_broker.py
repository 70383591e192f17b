"""LocalBroker: a real mosquitto on a loopback port that tests can stop and restart."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from edge.errors import PublishError
from edge.testing.broker import LocalBroker


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def test_started_broker_accepts_tcp_connections_on_loopback(broker: LocalBroker) -> None:
    assert broker.host == "127.0.0.1"
    assert broker.is_running()
    assert _accepts(broker.host, broker.port)


def test_stopped_broker_refuses_and_restarts_on_the_same_port(broker: LocalBroker) -> None:
    port = broker.port
    broker.stop()
    assert not broker.is_running()
    assert not _accepts(broker.host, port)
    broker.stop()  # safe twice
    broker.start()
    assert broker.port == port
    assert _accepts(broker.host, port)


def test_broker_with_users_writes_a_hashed_password_file_and_forbids_anonymous(
    tmp_path: Path,
) -> None:
    with LocalBroker(users={"edge": "s3cret-pw"}, workdir=tmp_path) as b:
        conf = b.conf_path.read_text()
        assert "allow_anonymous false" in conf
        passwd = (tmp_path / "passwd").read_text()
        assert passwd.startswith("edge:")
        assert "s3cret-pw" not in passwd
        assert _accepts(b.host, b.port)


def test_broker_that_cannot_start_raises_publish_error_naming_the_config(tmp_path: Path) -> None:
    # A missing server key makes mosquitto exit at start.
    from edge.testing.broker import BrokerTLS

    tls = BrokerTLS(ca=tmp_path / "no-ca.pem", cert=tmp_path / "no.crt", key=tmp_path / "no.key")
    b = LocalBroker(tls=tls, workdir=tmp_path)
    with pytest.raises(PublishError, match=r"mosquitto\.conf"):
        b.start()
    assert not b.is_running()
