"""Model install in the field: signatures, atomic install, and a live switch on SIGHUP in a
real daemon process that loses no frame and no alert."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.cli.main import main as edge_main
from edge.comms.config import MqttConfig
from edge.comms.subscriber import Subscriber
from edge.device.models import ModelsConfig, install_model, installed_model, start_segmenter
from edge.errors import ModelError
from edge.io.manifest import manifest_path
from edge.io.signature import generate_keypair, sign_model
from edge.segmenters import TFLiteConfig
from edge.segmenters.tflite import DEFAULT_MODEL
from edge.testing.broker import LocalBroker

MODELS = Path(__file__).resolve().parents[3] / "edge" / "models"
REPO = Path(__file__).resolve().parents[3]
DEFAULT_NAME = Path(DEFAULT_MODEL).stem  # the shipped default's manifest name


def _copy_model(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(MODELS / f"{name}.tflite", folder / f"{name}.tflite")
    shutil.copy(MODELS / f"{name}.json", folder / f"{name}.json")
    return folder / f"{name}.tflite"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    private, public = generate_keypair()
    key = tmp_path / "publisher.key"
    key.write_text(private)
    return key, public


def _sign(model: Path, key: Path) -> None:
    sign_model(model, manifest_path(model), key.read_text())


def test_a_signed_model_installs_atomically_as_current(
    tmp_path: Path, keys: tuple[Path, str]
) -> None:
    key, public = keys
    model = _copy_model("lite-dynamic", tmp_path / "incoming")
    _sign(model, key)
    state = tmp_path / "state"
    path = install_model(model, state, ModelsConfig(public_key=public))
    assert installed_model(state) == state / "models" / "current" / "model.tflite"
    assert path.read_bytes() == model.read_bytes()
    assert (state / "models" / "current").is_symlink()
    assert not list((state / "models").glob(".*"))  # no temporary left behind


@pytest.mark.parametrize("fault", ["unsigned", "other key", "model changed", "manifest changed"])
def test_a_model_whose_signature_does_not_hold_is_refused_and_current_stays(
    tmp_path: Path, keys: tuple[Path, str], fault: str
) -> None:
    key, public = keys
    state = tmp_path / "state"
    good = _copy_model("lite-int8", tmp_path / "good")
    _sign(good, key)
    install_model(good, state, ModelsConfig(public_key=public))
    before = os.readlink(state / "models" / "current")

    bad = _copy_model("lite-dynamic", tmp_path / "bad")
    if fault == "other key":
        other = tmp_path / "other.key"
        other.write_text(generate_keypair()[0])
        _sign(bad, other)
    elif fault != "unsigned":
        _sign(bad, key)
    if fault == "manifest changed":
        doc = json.loads(manifest_path(bad).read_text())
        doc["name"] = "renamed"
        manifest_path(bad).write_text(json.dumps(doc))
    if fault == "model changed":
        # Same bytes hashed into a new manifest, but not the signed ones.
        data = bytearray(bad.read_bytes())
        data[-1] ^= 0xFF
        bad.write_bytes(bytes(data))
        doc = json.loads(manifest_path(bad).read_text())
        doc["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        manifest_path(bad).write_text(json.dumps(doc))
    with pytest.raises(ModelError, match="signature"):
        install_model(bad, state, ModelsConfig(public_key=public))
    assert os.readlink(state / "models" / "current") == before


def test_a_model_litert_cannot_run_is_refused_even_with_a_matching_manifest(tmp_path: Path) -> None:
    bad = _copy_model("lite-int8", tmp_path / "bad")
    junk = b"TFL3" + os.urandom(4096)
    bad.write_bytes(junk)
    doc = json.loads(manifest_path(bad).read_text())
    doc["sha256"], doc["size_bytes"] = hashlib.sha256(junk).hexdigest(), len(junk)
    manifest_path(bad).write_text(json.dumps(doc))
    with pytest.raises(ModelError, match=r"lite-int8\.tflite"):
        install_model(bad, tmp_path / "state", ModelsConfig())
    assert installed_model(tmp_path / "state") is None


def test_a_tampered_installed_model_is_refused_at_start_up_and_the_configured_one_runs(
    tmp_path: Path, keys: tuple[Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    key, public = keys
    model = _copy_model("lite-dynamic", tmp_path / "incoming")
    _sign(model, key)
    state = tmp_path / "state"
    cfg = ModelsConfig(public_key=public)
    installed = install_model(model, state, cfg)
    configured = TFLiteConfig(num_threads=1)  # the shipped default
    with start_segmenter(configured, state, cfg) as seg:
        assert seg.describe()["model"] == "lite-dynamic"
    manifest_path(installed).write_text(manifest_path(installed).read_text().replace("  ", " "))
    with start_segmenter(configured, state, cfg) as seg:
        assert seg.describe()["model"] == DEFAULT_NAME
    assert "installed model is refused" in caplog.text and "signature" in caplog.text


def test_a_bad_public_key_in_the_config_is_refused() -> None:
    with pytest.raises(ValueError, match="public_key"):
        ModelsConfig(public_key="not-a-key")


# -- a real daemon switching models on SIGHUP ---------------------------------------------------

FRAMES = 160


def _config(tmp_path: Path, port: int, public: str) -> Path:
    text = f"""
device_id = "modeldev"
state_dir = "{tmp_path / "state"}"
[source]
type = "synthetic"
seed = 3
fps = 16.0
loop = false
script = [{{ stage = "normal", frames = 20 }}, {{ stage = "advanced", frames = 120 }}, {{ stage = "normal", frames = 20 }}]
[capture]
queue_size = 1000
when_full = "block"
[segmenter]
type = "tflite"
num_threads = 1
[alerts]
open_after = 2
close_after = 3
update_interval_s = 0.5
[mqtt]
host = "127.0.0.1"
port = {port}
reconnect_min_s = 0.2
reconnect_max_s = 0.5
[models]
public_key = "{public}"
"""
    p = tmp_path / "device.toml"
    p.write_text(text)
    return p


def _wait_for(proc: subprocess.Popen[str], lines: list[str], text: str, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} not logged; log:\n{''.join(lines)}")


def test_the_running_daemon_switches_model_on_sighup_without_losing_frames_and_refuses_a_bad_one(
    tmp_path: Path, broker: LocalBroker, keys: tuple[Path, str]
) -> None:
    key, public = keys
    config = _config(tmp_path, broker.port, public)
    new = _copy_model("lite-dynamic", tmp_path / "incoming")
    _sign(new, key)
    summary = tmp_path / "summary.json"
    sub = Subscriber(MqttConfig(host=broker.host, port=broker.port), "thermoseg/modeldev/alerts")
    sub.start()
    assert sub.wait_subscribed(10), sub.last_error
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge.cli.main",
            "run",
            "--config",
            str(config),
            "--summary-json",
            str(summary),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        _wait_for(proc, lines, "running: device modeldev", 60)
        _wait_for(proc, lines, "opened at frame", 60)  # switch while an alert is open
        assert edge_main(["model", "install", str(new), "--config", str(config)]) == 0
        proc.send_signal(signal.SIGHUP)
        _wait_for(proc, lines, f"model: switched from {DEFAULT_NAME} to lite-dynamic", 60)
        # A model damaged after install (or by hand) is refused at the switch; the old one runs.
        current = tmp_path / "state" / "models" / "current" / "model.tflite"
        data = bytearray(current.read_bytes())
        data[100] ^= 0xFF
        current.write_bytes(bytes(data))
        proc.send_signal(signal.SIGHUP)
        _wait_for(proc, lines, "refused the installed model, keeping the running one", 60)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "".join(lines) + out
    assert proc.returncode == 0, log
    done = json.loads(summary.read_text())
    assert done["stop_reason"] == "source finished"
    assert (done["frames"], done["frames_bad"], done["queue_drops"]) == (FRAMES, 0, 0), done
    assert done["outbox_depth"] == 0 and done["outbox_dropped"] == 0
    assert "model: switched" in log and log.count("model: switched") == 1
    alerts = []
    deadline = time.monotonic() + 20
    while len(alerts) < sum(done["alerts_sent"].values()) and time.monotonic() < deadline:
        try:
            alerts.append(sub.get(timeout=0.5)[1])
        except Exception:  # queue.Empty
            continue
    sub.stop()
    assert len(alerts) == sum(done["alerts_sent"].values()) > 0
    models = [a["segmenter"]["model"] for a in alerts]
    assert models[0] == DEFAULT_NAME and models[-1] == "lite-dynamic", models
    assert len({a["alert_id"] for a in alerts}) == 1  # the open alert carried over the switch
