"""Log formats and levels an operator sees: journal lines, JSON lines, config vs -v, tracebacks."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli.main import configure_logging
from edge.device.logs import JournalFormatter, JsonFormatter, LoggingConfig, on_journal
from edge.testing.broker import LocalBroker


def _record(level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord("edge.comms.publisher", level, __file__, 1, msg, None, None)


def test_journal_lines_carry_a_syslog_priority_and_no_timestamp() -> None:
    fmt = JournalFormatter()
    assert fmt.format(_record(logging.INFO, "MQTT connected")) == (
        "<6>edge.comms.publisher: MQTT connected"
    )
    assert fmt.format(_record(logging.ERROR, "camera lost")).startswith("<3>")
    assert fmt.format(_record(logging.WARNING, "a\nb")).splitlines() == [
        "<4>edge.comms.publisher: a",
        "<4>b",
    ]


def test_json_lines_are_one_object_each_with_level_logger_and_message() -> None:
    line = JsonFormatter().format(_record(logging.WARNING, "outbox: 3 alerts queued"))
    doc = json.loads(line)
    assert doc["level"] == "WARNING"
    assert doc["logger"] == "edge.comms.publisher"
    assert doc["message"] == "outbox: 3 alerts queued"
    assert "\n" not in line


def test_journal_is_detected_only_when_stderr_is_the_named_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "stream"
    f.write_text("")
    with f.open("w") as fh:
        st = os.fstat(fh.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert on_journal(fh.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino + 1}")
        assert not on_journal(fh.fileno())  # inherited by a child whose stderr went elsewhere
    monkeypatch.delenv("JOURNAL_STREAM")
    assert not on_journal()


def test_config_level_applies_and_verbose_flags_only_add_detail() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(0, LoggingConfig(level="INFO", format="json"))
        assert root.level == logging.INFO
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure_logging(2, LoggingConfig(level="WARNING", format="text"))
        assert root.level == logging.DEBUG
        configure_logging(0, LoggingConfig(level="ERROR"))
        assert root.level == logging.ERROR
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


def test_logging_section_refuses_unknown_levels() -> None:
    with pytest.raises(ValueError, match="level"):
        LoggingConfig.model_validate({"level": "LOUD"})


def test_a_sigabrt_kill_leaves_a_python_traceback_of_every_thread() -> None:
    # What systemd's WatchdogSignal=SIGABRT does to a hung daemon.
    code = (
        "import sys, threading, time\n"
        "from edge.cli.main import configure_logging\n"
        "configure_logging(0)\n"
        "def hung_pipeline():\n"
        "    time.sleep(60)\n"
        "threading.Thread(target=hung_pipeline, daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGABRT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGABRT
    assert "Fatal Python error: Aborted" in err
    assert "hung_pipeline" in err


def test_the_daemon_logs_state_changes_at_info_in_journal_format_without_v(
    tmp_path: Path, broker: LocalBroker
) -> None:
    config = tmp_path / "device.toml"
    config.write_text(
        f"""
device_id = "logdev"
state_dir = "{tmp_path / "state"}"
[source]
type = "synthetic"
fps = 0.0
loop = false
script = [{{ stage = "normal", frames = 3 }}]
[mqtt]
port = {broker.port}
[logging]
format = "journal"
"""
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge.cli.main",
            "run",
            "--config",
            str(config),
            "--max-seconds",
            "20",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert any(line.startswith("<6>edge.device.daemon: running: device logdev") for line in lines)
    assert any(line.startswith("<6>edge.comms.publisher: MQTT connected") for line in lines), lines
    assert not any(line[:4].isdigit() for line in lines)  # journald adds the time itself
