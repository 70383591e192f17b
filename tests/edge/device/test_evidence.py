"""When snapshots may be sent, and which alert events get one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edge.comms.config import MqttConfig, TLSConfig
from edge.core.analysis import AnalysisConfig, analyse
from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig
from edge.device.evidence import Evidence, EvidenceConfig, snapshots_allowed


@pytest.mark.parametrize(
    ("host", "tls", "allow", "expected"),
    [
        ("127.0.0.1", False, False, True),
        ("localhost", False, False, True),
        ("::1", False, False, True),
        ("broker.clinic.lan", True, False, True),
        ("192.168.1.20", False, False, False),
        ("192.168.1.20", False, True, True),
    ],
)
def test_snapshots_need_tls_or_loopback_unless_plaintext_is_allowed(
    host: str, tls: bool, allow: bool, expected: bool
) -> None:
    mqtt = MqttConfig(host=host, tls=TLSConfig() if tls else None)
    ok, why = snapshots_allowed(EvidenceConfig(allow_plaintext=allow), mqtt)
    assert ok is expected
    assert ("allow_plaintext" in why) or ok
    assert snapshots_allowed(EvidenceConfig(snapshots=False), mqtt)[0] is False


@pytest.mark.parametrize(
    ("brokers", "expected"),
    [
        (["127.0.0.1:1884", "localhost"], True),
        (["mqtt.clinic.lan"], False),
        (["127.0.0.1", "192.168.1.20:1883"], False),
    ],
)
def test_snapshots_over_plain_tcp_need_every_broker_of_a_list_on_loopback(
    brokers: list[str], expected: bool
) -> None:
    # The unused default host (127.0.0.1) once let snapshots go to a remote broker list.
    ok, why = snapshots_allowed(EvidenceConfig(), MqttConfig(brokers=brokers))
    assert ok is expected
    assert ok or "192.168.1.20" in why or "mqtt.clinic.lan" in why
    assert snapshots_allowed(EvidenceConfig(), MqttConfig(brokers=brokers, tls=TLSConfig()))[0]


def _frame(*blobs: tuple[slice, slice]) -> tuple[Frame, np.ndarray, Any]:
    celsius = np.full((60, 80), 33.0, np.float32)
    mask = np.zeros((60, 80), np.uint8)
    for blob in blobs:
        celsius[blob] = 35.0
        mask[blob] = 1
    analysis = analyse(mask, celsius, AnalysisConfig(), body=np.ones((60, 80), np.uint8))
    return Frame(celsius, "celsius", sequence=7), mask, analysis


def test_new_and_changed_regions_get_a_snapshot_unchanged_updates_and_ends_do_not() -> None:
    sent: list[tuple[str, bytes]] = []

    def publish(alert_id: str, png: bytes) -> str:
        sent.append((alert_id, png))
        return f"thermoseg/pi/alerts/{alert_id}/snapshot"

    evidence = Evidence(EvidenceConfig(scale=2), PreprocessConfig(), publish)
    one = _frame((slice(10, 20), slice(10, 20)))
    two = _frame((slice(10, 20), slice(10, 20)), (slice(30, 40), slice(60, 70)))

    def event(kind: str) -> dict[str, Any]:
        return {"alert_id": "a" * 32, "event": kind, "device": "pi", "snapshot": None,
                "timestamp": "2026-01-01T00:00:00.000Z"}  # fmt: skip

    new = event("new")
    evidence(new, *one)
    assert new["snapshot"]["topic"].endswith("/snapshot") and len(sent) == 1
    assert new["snapshot"]["bytes"] == len(sent[0][1]) and new["snapshot"]["frame_sequence"] == 7
    same = event("update")
    evidence(same, *one)
    assert same["snapshot"] is None and len(sent) == 1
    changed = event("update")
    evidence(changed, *two)
    assert changed["snapshot"]["sha256"] != new["snapshot"]["sha256"] and len(sent) == 2
    end = event("end")
    evidence(end, *two)
    assert end["snapshot"] is None and len(sent) == 2
