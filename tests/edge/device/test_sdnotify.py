"""sd_notify against a real AF_UNIX datagram socket (filesystem and abstract namespace)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.device.sdnotify import SystemdNotifier, watchdog_interval


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()


def test_ready_watchdog_and_stopping_arrive_as_datagrams(
    listener: tuple[socket.socket, str],
) -> None:
    sock, path = listener
    n = SystemdNotifier(path)
    assert n.enabled
    assert n.ready("source, segmenter and MQTT started")
    assert sock.recv(4096).decode().split("\n") == [
        "READY=1",
        "STATUS=source, segmenter and MQTT started",
    ]
    assert n.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert n.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    n.close()
    n.close()


def test_abstract_namespace_socket_written_with_at_sign_is_reached() -> None:
    name = f"thermoseg-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        n = SystemdNotifier("@" + name)
        assert n.status("frames: 12")
        assert sock.recv(4096) == b"STATUS=frames: 12"
    finally:
        sock.close()


def test_notify_socket_is_taken_from_the_environment(
    listener: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert SystemdNotifier().watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_notify_socket_every_call_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = SystemdNotifier()
    assert not n.enabled
    assert n.ready() is False
    assert n.watchdog() is False


def test_a_vanished_socket_is_reported_as_not_sent_not_raised(tmp_path: Path) -> None:
    n = SystemdNotifier(str(tmp_path / "gone.sock"))
    assert n.watchdog() is False


def test_lines_without_key_value_are_rejected(listener: tuple[socket.socket, str]) -> None:
    with pytest.raises(ValueError, match="KEY=VALUE"):
        SystemdNotifier(listener[1]).notify("READY")


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process() -> None:
    env = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(env) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
