"""The built wheel works alone: a fresh venv with only ``thermoseg[edge]``, no repository.

Builds the wheel from a copy of the sources, installs it with the ``edge`` extra into a fresh
venv from the wheelhouse that ``make test`` downloads first (``make wheelhouse``; nothing is
downloaded here), then, from a folder outside the repository: ``init`` writes the shipped
example config and unit, ``check-config`` validates the packaged default, ``segment`` runs on a
synthetic frame, the demo runs both ways, and TensorFlow is nowhere to be found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE")
SOURCE_DIRS = ("edge", "convert", "training", "firmware_config", "systemd")

pytestmark = pytest.mark.slow


def _wheelhouse() -> Path:
    folder = Path(os.environ.get("THERMOSEG_WHEELHOUSE", ROOT / ".cache" / "wheelhouse"))
    if not any(folder.glob("setuptools-*.whl")):
        pytest.fail(
            f"no wheelhouse at {folder}: run `make wheelhouse` (make test does) so that this "
            "test can build and install the wheel offline"
        )
    return folder


def _run(cmd: list[str | Path], cwd: Path, timeout: float = 240) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel and its edge extra; yields its bin folder."""
    wheels = _wheelhouse()
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    dist = tmp / "dist"
    pip_offline = ["--no-index", "--find-links", wheels, "-q"]
    _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-w", dist, *pip_offline], tmp)
    (wheel,) = dist.glob("thermoseg-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp)
    _run([venv / "bin" / "python", "-m", "pip", "install", f"{wheel}[edge]", *pip_offline], tmp)
    yield venv / "bin"


def test_the_installed_package_is_the_wheel_and_tensorflow_is_absent(installed: Path) -> None:
    code = (
        "import importlib.metadata as md, importlib.util, json, edge\n"
        "print(json.dumps({'edge': edge.__file__, 'missing': [m for m in ('tensorflow', 'keras')"
        " if importlib.util.find_spec(m) is None],"
        " 'python': md.metadata('thermoseg')['Requires-Python']}))"
    )
    out = json.loads(_run([installed / "python", "-c", code], installed))
    assert Path(out["edge"]).is_relative_to(installed.parent)
    assert out["missing"] == ["tensorflow", "keras"]
    assert out["python"] == ">=3.11"  # tomllib; see docs/decisions/0001-python-3-11.md


def test_check_config_accepts_the_packaged_default(installed: Path, tmp_path: Path) -> None:
    where = "from edge.cli._shipped import shipped_config; print(shipped_config('default'))"
    default = Path(_run([installed / "python", "-c", where], tmp_path).strip())
    assert default.is_relative_to(installed.parent)  # from the wheel, not the checkout
    assert default.read_bytes() == (ROOT / "firmware_config" / "default.toml").read_bytes()
    out = _run([installed / "thermoseg-edge", "check-config", default], tmp_path)
    assert "valid; effective config" in out


def test_init_writes_a_valid_config_and_a_unit_pointing_at_this_installation(
    installed: Path, tmp_path: Path
) -> None:
    config, unit = tmp_path / "etc" / "config.toml", tmp_path / "units" / "thermoseg-edge.service"
    _run([installed / "thermoseg-edge", "init", "--config", config, "--unit", unit], tmp_path)
    assert config.read_bytes() == (ROOT / "firmware_config" / "lepton.toml").read_bytes()
    exec_start = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert exec_start == [f"ExecStart={installed / 'thermoseg-edge'} run --config {config}"]
    _run([installed / "thermoseg-edge", "check-config", "-q", config], tmp_path)


def test_segment_runs_on_a_synthetic_frame(installed: Path, tmp_path: Path) -> None:
    _run([installed / "thermoseg-edge", "synth", "--count", "2", "--out", "frames"], tmp_path)
    frames = sorted((tmp_path / "frames").glob("*.npy"))
    assert frames
    cli = [installed / "thermoseg-edge", "segment", "--out", "seg", *frames]
    out = _run(cli, tmp_path)
    assert "results:" in out
    lines = [json.loads(s) for s in (tmp_path / "seg" / "results.jsonl").read_text().splitlines()]
    assert len(lines) == len(frames) and all("error" not in line for line in lines)
    assert (tmp_path / "seg" / f"{frames[0].stem}_mask.png").is_file()


def test_the_demo_runs_from_the_wheel_as_a_command_and_as_a_module(
    installed: Path, tmp_path: Path
) -> None:
    out = _run([installed / "thermoseg-edge", "demo", "--seconds", "4"], tmp_path)
    assert "segmenter: tflite" in out and "-> all received" in out
    cli = [installed / "python", "-m", "edge.cli.demo", "--seconds", "4", "--segmenter", "codebook"]
    out = _run(cli, tmp_path)
    assert "segmenter: codebook" in out and "-> all received" in out
