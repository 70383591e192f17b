"""Bench helpers that the figures depend on: a child's own peak memory, tables, configs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import daemon_config, print_table, wait_peak_rss_mb, write_config
from edge.device.config import load_config
from edge.errors import ConfigError


def test_peak_rss_of_a_child_is_its_own_not_the_bigger_parents() -> None:
    ballast = bytearray(300 * 1024 * 1024)  # touched: resident in this (parent) process
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    code, small_peak = wait_peak_rss_mb(small, 60)
    big = subprocess.Popen(
        [sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(0.3)"]
    )
    _, big_peak = wait_peak_rss_mb(big, 60)
    del ballast
    assert code == 0
    assert small_peak < 100  # a bare interpreter, not the 300 MB parent
    assert big_peak >= 200


def test_a_child_running_past_its_timeout_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    code, _ = wait_peak_rss_mb(proc, 0.5)
    assert code < 0  # ended by a signal


def test_bench_config_round_trips_through_the_device_config_loader(tmp_path: Path) -> None:
    data = daemon_config(
        tmp_path / "state", 1883, {"type": "synthetic", "fps": 0.0}, {"type": "codebook"},
        alerts={"open_after": 2},
    )  # fmt: skip
    cfg = load_config(write_config(tmp_path / "cfg" / "device.toml", data))
    assert cfg.alerts.open_after == 2 and cfg.alerts.close_after == 3
    assert cfg.mqtt.port == 1883 and cfg.state_dir == tmp_path / "state"


def test_bench_config_with_an_unknown_key_raises_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"alerts\.open_afterr"):
        daemon_config(tmp_path, 1883, {"type": "synthetic"}, {"type": "codebook"},
                      alerts={"open_afterr": 2})  # fmt: skip


def test_table_prints_one_markdown_row_per_item(capsys: pytest.CaptureFixture[str]) -> None:
    print_table("T", ["name", "value"], [["a", 1.5], ["b", float("nan")]])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "T" and lines[1].startswith("| name")
    assert lines[3].endswith("1.50 |") and lines[4].endswith("– |")
