"""``thermoseg-edge probe`` on the synthetic and replay sources, and the shipped udev rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from edge.cli.main import main
from edge.sources.lepton import LeptonConfig

RULE = Path(__file__).resolve().parents[3] / "systemd" / "60-thermoseg-purethermal.rules"


def _config(tmp_path: Path, source: str) -> Path:
    p = tmp_path / "device.toml"
    p.write_text(
        f'device_id = "probe-01"\nstate_dir = "{tmp_path / "state"}"\n[source]\n{source}\n'
    )
    return p


def test_probe_prints_one_synthetic_frames_celsius_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, 'type = "synthetic"\nseed = 4\nfps = 0.0')
    assert main(["probe", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "source: " in out and '"type": "synthetic"' in out
    m = re.search(r"min (-?[\d.]+) °C, median (-?[\d.]+) °C, max (-?[\d.]+) °C", out)
    assert m is not None, out
    lo, mid, hi = map(float, m.groups())
    assert 15.0 < lo <= mid <= hi < 45.0  # a body on a room background


def test_probe_reports_a_replayed_frames_exact_range_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    celsius = np.full((120, 160), 30.0, np.float32)
    celsius[10:20, 30:40] = 36.5
    celsius[0, 0] = 22.25
    np.save(frames / "f000.npy", celsius)
    config = _config(tmp_path, f'type = "replay"\npath = "{frames}"')
    assert main(["probe", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frame"]["celsius"] == {"min": 22.25, "median": 30.0, "max": 36.5}
    assert report["frame"]["shape"] == [120, 160]
    assert report["source"]["type"] == "replay"


def test_probe_of_a_missing_camera_exits_1_naming_the_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f'type = "lepton"\ndevice = "{tmp_path / "video9"}"')
    assert main(["probe", "--config", str(config)]) == 1
    assert "video9" in capsys.readouterr().err


def test_the_udev_rule_gives_the_purethermal_to_the_units_video_group(tmp_path: Path) -> None:
    vendor, product = LeptonConfig().usb_id.split(":")
    rules = [
        line for line in RULE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert len(rules) == 2
    for line in rules:
        pairs = dict(re.findall(r'([A-Z]+(?:\{\w+\})?)(?:==|=|\+=)"([^"]*)"', line))
        assert vendor in (pairs.get("ATTRS{idVendor}"), pairs.get("ATTR{idVendor}"))
        assert product in (pairs.get("ATTRS{idProduct}"), pairs.get("ATTR{idProduct}"))
        assert pairs["GROUP"] == "video" and pairs["MODE"] == "0660"
    unit = (RULE.parent / "thermoseg-edge.service").read_text()
    assert "SupplementaryGroups=video" in unit
    out = tmp_path / "60-thermoseg-purethermal.rules"
    assert main(["init", "--udev", str(out)]) == 0
    assert out.read_text() == RULE.read_text()
