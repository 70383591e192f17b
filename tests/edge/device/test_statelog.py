"""The outbox's state changes reach the log once each, with the reason."""

from __future__ import annotations

import logging

import pytest

from edge.device.statelog import OutboxWatch


def test_an_outage_logs_one_line_when_alerts_start_waiting_and_one_when_they_are_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = OutboxWatch()
    with caplog.at_level(logging.INFO, logger="edge.device.statelog"):
        watch.update(0, True, None)
        for depth in (1, 2, 5, 5):
            watch.update(depth, False, "cannot connect: [Errno 111] Connection refused")
        watch.update(3, True, None)
        watch.update(0, True, None)
        watch.update(0, True, None)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "outbox: alerts are waiting to be sent (1 now; MQTT cannot connect: [Errno 111] "
        "Connection refused)",
        "outbox: empty again; the 5 waiting alert(s) were sent",
    ]


def test_alerts_in_flight_on_a_live_connection_are_not_a_state_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = OutboxWatch()
    with caplog.at_level(logging.INFO, logger="edge.device.statelog"):
        for depth in (3, 0, 2, 0):
            watch.update(depth, True, None)
    assert caplog.records == []
