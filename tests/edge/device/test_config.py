"""Device config: shipped files validate, errors name file + key path, check-config masks secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

from edge.cli.main import main as cli_main
from edge.device.config import DeviceConfig, effective_config, load_config, parse_config, to_toml
from edge.errors import ConfigError
from edge.sources import SOURCES, create_source

FIRMWARE = Path(__file__).resolve().parents[3] / "firmware_config"
MINIMAL = 'device_id = "t1"\n[source]\ntype = "synthetic"\n'


def _write(tmp_path: Path, text: str, name: str = "dev.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("name", ["default.toml", "lepton.toml", "demo.toml"])
def test_every_shipped_config_validates(name: str) -> None:
    cfg = load_config(FIRMWARE / name)
    assert isinstance(cfg, DeviceConfig)
    assert cfg.source.type in SOURCES


def test_lepton_config_targets_the_pi_with_the_tflite_default_model() -> None:
    cfg = load_config(FIRMWARE / "lepton.toml")
    assert cfg.source.type == "lepton"
    assert cfg.segmenter.type == "tflite" and cfg.segmenter.model is None
    assert cfg.state_dir == Path("/var/lib/thermoseg")
    assert cfg.mqtt.password_credential == "mqtt-password"


def test_defaults_fill_every_section_of_a_minimal_config(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL))
    assert cfg.mqtt.port == 1883 and cfg.segmenter.type == "codebook"
    assert cfg.capture.queue_size >= 1 and cfg.stats.interval_s > 0


def test_wrong_type_names_the_file_the_key_path_and_the_value(tmp_path: Path) -> None:
    p = _write(tmp_path, MINIMAL + '[mqtt]\nport = "abc"\n')
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert (
        str(err.value)
        == f"{p}: mqtt.port: Input should be a valid integer, unable to parse string as an integer (got 'abc')"
    )


def test_unknown_key_is_refused_with_its_path(tmp_path: Path) -> None:
    p = _write(tmp_path, MINIMAL + "[mqtt]\nprot = 1883\n")
    with pytest.raises(ConfigError, match=r"dev\.toml: mqtt\.prot: unknown key"):
        load_config(p)


def test_source_errors_use_the_toml_key_path_without_the_union_tag(tmp_path: Path) -> None:
    p = _write(tmp_path, 'device_id = "t1"\n[source]\ntype = "replay"\nfps = -1\n')
    with pytest.raises(
        ConfigError,
        match=r"dev\.toml: source\.fps: Input should be greater than or equal to 0 \(got -1\)",
    ):
        load_config(p)


def test_list_items_are_named_by_index(tmp_path: Path) -> None:
    text = MINIMAL + 'script = [{ stage = "normal", frames = 3 }, { stage = "late", frames = 3 }]\n'
    with pytest.raises(ConfigError, match=r"source\.script\[1\]\.stage: Input should be"):
        load_config(_write(tmp_path, text))


def test_unknown_source_type_lists_the_expected_types(tmp_path: Path) -> None:
    p = _write(tmp_path, 'device_id = "t1"\n[source]\ntype = "webcam"\n')
    with pytest.raises(
        ConfigError, match=r"source: .*'webcam'.*'lepton', 'picamera2', 'replay', 'synthetic'"
    ):
        load_config(p)


def test_missing_required_keys_are_each_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, "[mqtt]\nport = 1\n"))
    lines = str(err.value).splitlines()
    assert any(line.endswith("device_id: Field required") for line in lines)
    assert any(line.endswith("source: Field required") for line in lines)


def test_missing_file_and_invalid_toml_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML: .*line 2"):
        load_config(_write(tmp_path, 'device_id = "x"\n[source\n', "bad.toml"))


def test_device_id_must_be_topic_safe() -> None:
    with pytest.raises(ConfigError, match=r"<config>: device_id: String should match pattern"):
        parse_config({"device_id": "a/b", "source": {"type": "synthetic"}})


def test_effective_config_masks_the_password_and_round_trips_through_toml(tmp_path: Path) -> None:
    text = MINIMAL + '[mqtt]\nusername = "u"\npassword = "hunter2"\n'
    cfg = load_config(_write(tmp_path, text))
    data = effective_config(cfg)
    assert data["mqtt"]["password"] == "**********"
    rendered = to_toml(data)
    assert "hunter2" not in rendered and "hunter2" not in repr(cfg)
    again = parse_config(tomllib.loads(rendered))
    assert effective_config(again) == data


def test_effective_config_with_a_broker_list_loads_again(tmp_path: Path) -> None:
    # It printed the unused default host beside the brokers: a file that is refused.
    cfg = load_config(_write(tmp_path, MINIMAL + '[mqtt]\nbrokers = ["a.lan", "b.lan:8883"]\n'))
    data = effective_config(cfg)
    assert data["mqtt"]["host"] is None  # unset, shown as a comment
    rendered = to_toml(data)
    assert "# host is unset" in rendered and "\nhost =" not in rendered
    again = parse_config(tomllib.loads(rendered))
    assert effective_config(again) == data
    assert again.mqtt.broker_list() == [("a.lan", 1883), ("b.lan", 8883)]


def test_effective_config_keeps_an_explicit_host_and_an_unset_one_unset(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL + '[mqtt]\nhost = "broker.lan"\n'))
    again = parse_config(tomllib.loads(to_toml(effective_config(cfg))))
    assert again.mqtt.host == "broker.lan" and again.mqtt.broker_list() == [("broker.lan", 1883)]
    plain = load_config(_write(tmp_path, MINIMAL, "plain.toml"))
    assert effective_config(plain)["mqtt"]["host"] is None
    assert plain.mqtt.broker_list() == [("127.0.0.1", 1883)]


def test_every_source_config_builds_its_registered_source() -> None:
    for name, cls in SOURCES.items():
        cfg = cls.config_class.model_validate({"type": name})
        src = create_source(cfg)  # type: ignore[arg-type]
        assert isinstance(src, cls) and src.type == name
        src.stop()  # safe before start()


def test_check_config_prints_the_effective_config_as_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _write(tmp_path, MINIMAL + '[mqtt]\nusername = "u"\npassword = "hunter2"\n')
    assert cli_main(["check-config", str(p)]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    data = tomllib.loads(out)
    assert data["device_id"] == "t1" and data["mqtt"]["password"] == "**********"
    assert "host" not in data["mqtt"] and "# MQTT broker(s), in order: 127.0.0.1:1883\n" in out
    assert cli_main(["check-config", str(p), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"]["type"] == "synthetic"


def test_check_config_on_a_bad_config_exits_1_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _write(tmp_path, MINIMAL + "[alerts]\nopen_after = 0\n")
    assert cli_main(["check-config", str(p)]) == 1
    err = capsys.readouterr().err
    assert f"{p}: alerts.open_after: Input should be greater than or equal to 1 (got 0)" in err


def test_run_with_a_bad_config_exits_1_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _write(tmp_path, MINIMAL + '[stats]\ninterval_s = "often"\n')
    assert cli_main(["run", "--config", str(p), "--max-seconds", "1"]) == 1
    assert "stats.interval_s: Input should be a valid number" in capsys.readouterr().err
