"""Shared fixtures: a real mosquitto broker on a loopback port."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.errors import PublishError
from edge.testing.broker import LocalBroker, find_mosquitto
from edge.testing.faults import small_tmpfs


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


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 kB tmpfs for full-disk tests (needs root; skipped otherwise)."""
    with contextlib.ExitStack() as stack:
        try:
            where = stack.enter_context(small_tmpfs(tmp_path / "small"))
        except (PermissionError, OSError) as exc:  # the mount only: a test's own errors fail it
            pytest.skip(str(exc))
        yield where
