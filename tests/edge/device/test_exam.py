"""Exam commands: a strict opaque id, set over MQTT (CLI or any client), bad commands ignored."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from edge.comms.commands import CommandClient
from edge.comms.config import MqttConfig
from edge.device.exam import ExamContext, ExamListener, parse_exam_command
from edge.testing.broker import LocalBroker
from tests.edge.mqtt_helpers import wait_for


@pytest.mark.parametrize("exam_id", ["EX-0042", "a", "7f3c9e1a_b", "X" * 32])
def test_opaque_ids_are_accepted(exam_id: str) -> None:
    assert parse_exam_command(f'{{"exam_id": "{exam_id}"}}'.encode()) == exam_id


@pytest.mark.parametrize(
    "payload",
    [
        b'{"exam_id": "Jane Doe"}',
        b'{"exam_id": "1970/01/01"}',
        b'{"exam_id": "jane.doe@example.org"}',
        b'{"exam_id": "' + b"X" * 33 + b'"}',
        b'{"exam_id": "-lead"}',
        b'{"exam_id": 42}',
        b'{"exam_id": "EX-1", "patient": "Jane"}',
        b"EX-1",
    ],
)
def test_anything_but_a_short_token_is_refused(payload: bytes) -> None:
    with pytest.raises(ValueError, match="exam"):
        parse_exam_command(payload)


def test_null_or_an_empty_retained_payload_ends_the_exam() -> None:
    assert parse_exam_command(b'{"exam_id": null}') is None
    assert parse_exam_command(b"") is None


def test_the_cli_starts_and_ends_an_exam_the_listener_follows_and_ignores_bad_commands(
    broker: LocalBroker,
) -> None:
    cfg = MqttConfig(host=broker.host, port=broker.port)
    exam = ExamContext()
    listener = ExamListener(cfg, "pi-exam", exam)
    listener.start()
    try:
        cli = [sys.executable, "-m", "edge.cli.main", "exam", "--broker", f"127.0.0.1:{broker.port}",
               "--device", "pi-exam"]  # fmt: skip
        done = subprocess.run([*cli, "start", "EX-7"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: exam.current() == "EX-7", 10)

        refused = subprocess.run(
            [*cli, "start", "Jane Doe"], capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 1 and "never a name" in refused.stderr

        client = CommandClient(cfg)
        client.start()
        client.publish("thermoseg/pi-exam/exam/set", {"exam_id": "Jane Doe"})
        client.stop()
        time.sleep(0.5)
        assert exam.current() == "EX-7"  # a bad command changes nothing

        done = subprocess.run([*cli, "end"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: exam.current() is None, 10)
    finally:
        listener.stop()


def test_an_exam_listener_configured_with_brokers_follows_commands_from_the_first_broker(
    broker: LocalBroker,
) -> None:
    # The daemon hands its own [mqtt] section to the listener: with `brokers` set it connected to
    # the unused default host, so exam ids set over MQTT never arrived.
    cfg = MqttConfig(brokers=[f"127.0.0.1:{broker.port}"])
    exam = ExamContext()
    listener = ExamListener(cfg, "pi-brokers", exam)
    listener.start()
    try:
        client = CommandClient(MqttConfig(host=broker.host, port=broker.port))
        client.start()
        try:
            client.publish("thermoseg/pi-brokers/exam/set", {"exam_id": "EX-9"}, retain=True)
        finally:
            client.stop()
        assert wait_for(lambda: exam.current() == "EX-9", 10)
    finally:
        listener.stop()
