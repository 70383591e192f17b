"""``thermoseg-edge init`` writes the shipped example config and unit, and never clobbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.cli.init import unit_text
from edge.cli.main import main

ROOT = Path(__file__).resolve().parents[3]


def test_init_copies_the_chosen_example_and_keeps_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "a" / "device.toml"
    assert main(["init", "--config", str(config), "--example", "demo"]) == 0
    assert config.read_bytes() == (ROOT / "firmware_config" / "demo.toml").read_bytes()
    config.write_text("# mine\n")
    assert main(["init", "--config", str(config)]) == 1
    assert f"{config}: already exists" in capsys.readouterr().err
    assert config.read_text() == "# mine\n"
    assert main(["init", "--config", str(config), "--force"]) == 0
    assert config.read_bytes() == (ROOT / "firmware_config" / "lepton.toml").read_bytes()


def test_init_without_a_path_exits_with_a_usage_message() -> None:
    with pytest.raises(SystemExit, match="give --config PATH, --unit PATH and/or --udev PATH"):
        main(["init"])


def test_unit_exec_start_names_the_installation_and_the_config_only() -> None:
    template = (ROOT / "systemd" / "thermoseg-edge.service").read_text()
    text = unit_text(template, Path("/srv/venv/bin/thermoseg-edge"), Path("/srv/c.toml"))
    changed = [
        (a, b) for a, b in zip(template.splitlines(), text.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "ExecStart=/opt/thermoseg/venv/bin/thermoseg-edge run --config /etc/thermoseg/config.toml",
            "ExecStart=/srv/venv/bin/thermoseg-edge run --config /srv/c.toml",
        )
    ]
    assert unit_text(template, None, None) == template


def test_demo_is_a_thermoseg_edge_command() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0


def test_init_writes_the_restart_back_off_unit_next_to_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "units" / "thermoseg-edge.service"
    assert main(["init", "--unit", str(unit)]) == 0
    backoff = unit.with_name("thermoseg-edge-backoff.service")  # named by its OnFailure=
    assert "OnFailure=thermoseg-edge-backoff.service" in unit.read_text()
    assert backoff.read_bytes() == (ROOT / "systemd" / backoff.name).read_bytes()
