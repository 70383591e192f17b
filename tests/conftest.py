"""Shared fixtures: a real mosquitto broker on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.errors import PublishError
from edge.testing.broker import LocalBroker, find_mosquitto


def _require_mosquitto() -> None:
    try:
        find_mosquitto()
    except PublishError as exc:
        pytest.fail(f"the MQTT tests need a real mosquitto broker: {exc}", pytrace=False)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A mosquitto started for this test only (anonymous access, persistence on)."""
    _require_mosquitto()
    b = LocalBroker(workdir=tmp_path / "mosquitto")
    b.start()
    try:
        yield b
    finally:
        b.cleanup()
