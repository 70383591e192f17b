"""Whether the device clock can be trusted: the kernel's NTP state and timesyncd's flag file."""

from __future__ import annotations

import ctypes
import platform
import sys
from pathlib import Path

import pytest

from edge.core import clock
from edge.core.clock import clock_synced, kernel_clock_synced


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="adjtimex is Linux-only")
def test_the_kernel_answers_with_a_read_only_adjtimex() -> None:
    # glibc's struct timex is 208 bytes on LP64 (x86_64, aarch64) and 128 on 32-bit ARM.
    expected = 208 if ctypes.sizeof(ctypes.c_long) == 8 else 128
    assert ctypes.sizeof(clock._Timex) == expected, platform.machine()
    first, second = kernel_clock_synced(), kernel_clock_synced()
    assert isinstance(first, bool) and first == second  # a read changes nothing


def test_timesyncd_flag_file_counts_when_the_kernel_says_unsynchronised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "kernel_clock_synced", lambda: False)
    flag = tmp_path / "synchronized"
    assert clock_synced(flag) is False
    flag.write_text("")
    assert clock_synced(flag) is True


def test_a_synchronised_kernel_clock_needs_no_flag_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "kernel_clock_synced", lambda: True)
    assert clock_synced(tmp_path / "absent") is True
    monkeypatch.setattr(clock, "kernel_clock_synced", lambda: None)  # not Linux
    assert clock_synced(tmp_path / "absent") is False
