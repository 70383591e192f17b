"""Config gaps a hostile or careless file found: non-finite numbers, echoed secrets, credential
paths, where relative paths point, non-UTF-8 files, and default.toml drifting from the models."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomllib

from edge.cli.main import main
from edge.comms.config import credential_path
from edge.device._config_walk import config_models
from edge.device.config import DeviceConfig, load_config, parse_config
from edge.errors import ConfigError

DEFAULT = Path(__file__).parents[3] / "firmware_config" / "default.toml"
MINIMAL: dict[str, Any] = {"device_id": "pi-1", "source": {"type": "synthetic"}}


def _with(**sections: Any) -> dict[str, Any]:
    return {**copy.deepcopy(MINIMAL), **sections}


def _floats(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, float):
        yield path
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _floats(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _floats(v, (*path, i))


def test_an_infinite_connect_timeout_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"x\.toml: mqtt\.connect_timeout_s: expected a finite"):
        parse_config(_with(mqtt={"connect_timeout_s": float("inf")}), "x.toml")


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_every_number_in_default_toml_refuses_inf_and_nan(bad: float) -> None:
    data = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    paths = list(_floats(data))
    assert len(paths) > 30
    for path in paths:
        doc = copy.deepcopy(data)
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = bad
        with pytest.raises(ConfigError, match="expected a finite number"):
            parse_config(doc, "default.toml")


@pytest.mark.parametrize("password", [987654321, 98765.4321, True, ["s3cr3t-list"], {"v": "s3"}])
def test_a_password_of_the_wrong_type_is_never_echoed(password: Any) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_with(mqtt={"username": "u", "password": password}), "x.toml")
    text = str(info.value)
    assert "mqtt.password" in text
    for secret in ("987654321", "98765", "True", "s3cr3t", "s3"):
        assert secret not in text


@pytest.mark.parametrize("name", ["../other", "/etc/shadow", "a/b", "..", ".hidden", "x\n", ""])
def test_credential_names_are_plain_names_inside_the_credentials_directory(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"mqtt\.password_credential"):
        parse_config(_with(mqtt={"username": "u", "password_credential": name}), "x.toml")
    with pytest.raises(ConfigError, match=r"mqtt\.tls\.key_credential"):
        parse_config(_with(mqtt={"tls": {"key_credential": name}}), "x.toml")
    (tmp_path / "creds").mkdir()
    (tmp_path / "other").write_text("not for you")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    with pytest.raises(ConfigError, match="plain name"):
        credential_path(name, "mqtt.password_credential")


def test_a_plain_credential_name_is_read_from_the_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mqtt-password").write_text("pw\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    cfg = parse_config(_with(mqtt={"username": "u", "password_credential": "mqtt-password"}))
    assert cfg.mqtt.resolve_password() == "pw"


def test_paths_expand_home_and_are_relative_to_the_config_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, folder, elsewhere = tmp_path / "home", tmp_path / "etc", tmp_path / "cwd"
    for d in (home, folder, elsewhere):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)
    (folder / "device.toml").write_text(
        'device_id = "pi-1"\nstate_dir = "~/state"\n'
        '[source]\ntype = "replay"\npath = "recordings"\nfiles = ["a.npy", "~/b.npy"]\n'
        '[segmenter]\ntype = "tflite"\nmodel = "models/m.tflite"\n'
        '[mqtt.tls]\nca = "ca.pem"\ncert = "/abs/client.pem"\nkey = "client.key"\n',
        encoding="utf-8",
    )
    cfg = load_config(Path("..") / "etc" / "device.toml")
    base = folder.resolve()
    assert cfg.state_dir == home / "state"
    assert cfg.source.path == base / "recordings"  # type: ignore[union-attr]
    assert cfg.source.files == [base / "a.npy", home / "b.npy"]  # type: ignore[union-attr]
    assert cfg.segmenter.model == base / "models" / "m.tflite"  # type: ignore[union-attr]
    assert cfg.mqtt.tls is not None
    assert (cfg.mqtt.tls.ca, cfg.mqtt.tls.cert) == (base / "ca.pem", Path("/abs/client.pem"))
    assert cfg.mqtt.tls.key == base / "client.key"
    assert not (elsewhere / "~").exists()


def test_a_non_utf8_config_is_a_clear_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('device_id = "café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=rf"{re.escape(str(bad))}: not UTF-8 .*0xe9"):
        load_config(bad)
    assert main(["check-config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err


def _documented(name: str, text: str) -> bool:
    return bool(re.search(rf"(?<![\w.-]){re.escape(name)}\s*=|\[(?:[\w.]+\.)?{name}\]", text))


def test_default_toml_documents_every_key_of_every_section() -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    missing = [
        f"{model.__name__}.{name}"
        for model in config_models(DeviceConfig)
        for name in model.model_fields
        if not _documented(name, text)
    ]
    assert missing == []


def test_default_toml_holds_the_model_defaults_and_says_fps_0_may_drop_frames() -> None:
    cfg = load_config(DEFAULT)
    defaults = DeviceConfig.model_validate(MINIMAL)
    for section in DeviceConfig.model_fields:
        if section not in ("device_id", "source", "state_dir"):
            assert getattr(cfg, section) == getattr(defaults, section), section
    text = DEFAULT.read_text(encoding="utf-8")
    assert 'when_full = "drop_oldest"' in text
    assert "as fast as processed" not in text
    assert re.search(r"fps = 0\.0 .*no pacing.*\n(#.*\n)*.*DROPPED", text)
