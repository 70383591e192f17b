"""The shipped systemd unit: required settings, and `systemd-analyze verify` when available."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[3] / "systemd" / "thermoseg-edge.service"
BACKOFF = UNIT.with_name("thermoseg-edge-backoff.service")


def _service(unit: Path = UNIT) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = ""
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key}", []).append(value)
    return values


def test_unit_is_type_notify_with_watchdog_restart_and_state_directory() -> None:
    s = _service()
    assert s["Service.Type"] == ["notify"]
    assert int(s["Service.WatchdogSec"][0]) > 0
    assert s["Service.Restart"] == ["on-failure"]
    assert s["Service.StateDirectory"] == ["thermoseg"]
    assert s["Service.ExecStart"] == [
        "/opt/thermoseg/venv/bin/thermoseg-edge run --config /etc/thermoseg/config.toml"
    ]


def test_unit_loads_the_mqtt_password_as_a_credential() -> None:
    s = _service()
    assert "mqtt-password:/etc/thermoseg/mqtt-password" in s["Service.LoadCredential"]
    assert "mqtt-tls-key:/etc/thermoseg/mqtt-client.key" in s["Service.LoadCredential"]
    assert "#ImportCredential=thermoseg.*" in UNIT.read_text()


def test_every_loaded_credential_has_a_fallback_so_a_missing_file_does_not_fail_the_unit() -> None:
    # systemd.exec(5): a SetCredential= of the same id acts as the default when the
    # LoadCredential= file cannot be read, and that is then not fatal.
    s = _service()
    loaded = {v.split(":", 1)[0] for v in s["Service.LoadCredential"]}
    fallback = {v.split(":", 1)[0]: v.split(":", 1)[1] for v in s["Service.SetCredential"]}
    assert loaded == set(fallback)
    assert all(value.strip() for value in fallback.values())  # systemd refuses an empty value


def test_unit_waits_for_time_sync_and_aborts_a_hung_daemon_with_a_traceback() -> None:
    s = _service()
    assert "time-sync.target" in s["Unit.Wants"]
    assert "time-sync.target" in s["Unit.After"]
    assert s["Service.WatchdogSignal"] == ["SIGABRT"]
    assert "PYTHONFAULTHANDLER=1" in s["Service.Environment"]
    assert not any("-v" in v.split() for v in s["Service.ExecStart"])  # level from [logging]


def test_unit_is_hardened_but_keeps_video_devices_reachable() -> None:
    s = _service()
    for key, value in {
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "DevicePolicy": "closed",
        "DynamicUser": "yes",
        "SupplementaryGroups": "video",
    }.items():
        assert s[f"Service.{key}"] == [value], key
    assert "char-video4linux rw" in s["Service.DeviceAllow"]
    assert "Service.PrivateDevices" not in s
    families = s["Service.RestrictAddressFamilies"][0].split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= set(families)


def test_unit_parses_as_ini() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    assert {"Unit", "Service", "Install"} <= set(parser.sections())


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that ExecStart exists; point it at this checkout's entry point instead.
    exe = Path(sys.executable).with_name("thermoseg-edge")
    if not exe.exists():
        pytest.skip(f"{exe} is missing: install the project with `pip install -e .`")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/opt/thermoseg/venv/bin/thermoseg-edge", str(exe)))
    proc = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "thermoseg-edge.service" not in proc.stderr, proc.stderr


def test_restarts_back_off_in_rounds_and_never_give_up_for_good() -> None:
    s = _service()
    # Not StartLimitIntervalSec=0 (a restart every RestartSec forever): a bounded round ...
    interval = int(s["Unit.StartLimitIntervalSec"][0])
    burst = int(s["Unit.StartLimitBurst"][0])
    assert interval > 0 and burst >= 2 and int(s["Service.RestartSec"][0]) >= 1
    # ... then, on the start limit, the back-off unit waits longer than the interval and starts
    # the daemon again (systemd 252 has no RestartSteps=, so this works on Debian 12).
    assert s["Unit.OnFailure"] == [BACKOFF.name]
    b = _service(BACKOFF)
    assert b["Service.Type"] == ["oneshot"]
    assert b["Unit.PartOf"] == [UNIT.name]  # stopping the daemon also ends the wait
    sleep, start = b["Service.ExecStart"]
    assert sleep.split()[0].endswith("/sleep") and int(sleep.split()[1]) > interval
    assert start.split()[1:] == ["--no-block", "start", UNIT.name]
    assert "Install" not in _sections(BACKOFF)  # only ever started by OnFailure=


def _sections(unit: Path) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(unit.read_text())
    return parser.sections()


def test_systemd_analyze_verify_accepts_the_back_off_unit() -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    proc = subprocess.run(
        [tool, "verify", str(BACKOFF)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert BACKOFF.name not in proc.stderr, proc.stderr
