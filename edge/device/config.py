"""The device configuration: one TOML file, one pydantic model per section.

Every section has defaults and descriptions (``firmware_config/default.toml`` documents them
all); unknown keys are refused. :func:`load_config` turns every problem into one
:class:`ConfigError` line per fault, naming the file, the key path and what was expected::

    firmware_config/x.toml: mqtt.port: Input should be a valid integer (got 'abc')

Each component is handed only its own section (``cfg.mqtt`` to the publisher, ``cfg.source``
to the source, ...). Secrets (the MQTT password) are :class:`~pydantic.SecretStr`, may come
from an environment variable or a systemd credential instead, and are masked by
:func:`effective_config`.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.comms.config import MqttConfig
from edge.comms.outbox import OutboxConfig
from edge.core._doc_walk import unwritable
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.device._config_walk import resolve_paths, secret_names
from edge.device.alerts import AlertConfig
from edge.device.capture import CaptureConfig
from edge.device.evidence import EvidenceConfig
from edge.device.logs import LoggingConfig
from edge.device.models import ModelsConfig
from edge.device.stats import StatsConfig
from edge.errors import ConfigError
from edge.segmenters import CodebookConfig, SegmenterConfig
from edge.sources import SourceConfig

__all__ = [
    "DeviceConfig",
    "PipelineConfig",
    "WatchdogConfig",
    "effective_config",
    "load_config",
    "parse_config",
    "to_toml",
]

log = logging.getLogger(__name__)


class PipelineConfig(BaseModel):
    """Threads and shutdown of the processing pipeline."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    opencv_threads: int = Field(
        1, ge=0, le=64, description="cv2.setNumThreads; 1 leaves the other cores to the model"
    )
    malloc_arenas: int = Field(
        1,
        ge=0,
        le=64,
        description="glibc malloc arenas the threads share (mallopt M_ARENA_MAX); 0 = glibc's "
        "default (one per allocating thread, up to 8 per core)",
    )
    drain_timeout_s: float = Field(
        10.0, gt=0, description="on SIGTERM, longest time spent processing queued frames"
    )
    flush_timeout_s: float = Field(
        10.0, gt=0, description="on SIGTERM, longest time spent sending the MQTT outbox"
    )


class WatchdogConfig(BaseModel):
    """systemd integration (only active when systemd provides $NOTIFY_SOCKET)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool = Field(True, description="ping WATCHDOG=1 while frames are being processed")
    status_interval_s: float = Field(10.0, gt=0, description="seconds between STATUS= updates")


class DeviceConfig(BaseModel):
    """Everything one edge device needs to run."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    device_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$", max_length=64, description="name in topics and alerts"
    )
    state_dir: Path = Field(
        Path("/var/lib/thermoseg"),
        description="writable folder for the outbox (systemd StateDirectory)",
    )
    source: SourceConfig = Field(description="the frame source; `type` selects the backend")
    capture: CaptureConfig = Field(default_factory=CaptureConfig)
    preprocess: PreprocessConfig = Field(default_factory=PreprocessConfig)
    segmenter: SegmenterConfig = Field(
        default_factory=CodebookConfig, description="`type` selects codebook or tflite"
    )
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    watchdog: WatchdogConfig = Field(default_factory=WatchdogConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)


def _key_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Pydantic's error location as the TOML key path (without discriminator tags)."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(node, dict) and isinstance(item, str) and item not in node:
            if node.get("type") == item:
                continue  # the tag pydantic inserts for a discriminated union
            parts.append(item)
            node = None
            continue
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(item)
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts) or "(top level)"


def _describe(exc: ValidationError, data: dict[str, Any], where: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        path = _key_path(tuple(err["loc"]), data)
        msg = err["msg"]
        secret = any(part in _SECRETS for part in err["loc"] if isinstance(part, str))
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not allowed here; check the spelling against default.toml)"
        elif secret:
            msg += " (the value is a secret and is not shown)"
        elif err["type"] != "missing" and not isinstance(err.get("input"), dict):
            msg += f" (got {err.get('input')!r})"
        lines.append(f"{where}: {path}: {msg}")
    return "\n".join(lines)


def parse_config(
    data: dict[str, Any], where: str = "<config>", base: Path | None = None
) -> DeviceConfig:
    """Validate an already parsed TOML document; ConfigError names ``where`` and the key path.

    Paths get ``~`` expanded; relative ones are taken from ``base`` (the config file's folder)
    when given.
    """
    bad = [f"{where}: {found.path}: {found.problem}" for found in unwritable(data)]
    if bad:
        raise ConfigError("\n".join(bad))
    try:
        cfg = DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, where)) from None
    resolved: DeviceConfig = resolve_paths(cfg, base)
    return resolved


def load_config(path: str | Path) -> DeviceConfig:
    """Read and validate a device TOML file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "expected a UTF-8 TOML file"
        ) from None
    cfg = parse_config(data, str(p), base=p.resolve().parent)
    log.info("config %s: device %s, source %s", p, cfg.device_id, cfg.source.type)
    return cfg


# Set after DeviceConfig exists: every key whose value must never be echoed.
_SECRETS = secret_names(DeviceConfig)


def effective_config(cfg: DeviceConfig) -> dict[str, Any]:
    """The config with every default filled in and secrets masked (``**********``); it loads
    again to the same config (unset keys such as ``mqtt.host`` stay unset)."""
    return cfg.model_dump(mode="json")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _emit(table: dict[str, Any], prefix: str, out: list[str]) -> None:
    for key, value in table.items():
        if value is None:
            out.append(f"# {key} is unset")
        elif not isinstance(value, dict) and not _is_table_array(value):
            out.append(f"{key} = {_toml_value(value)}")
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.extend(["", f"[{name}]"])
            _emit(value, name, out)
        elif _is_table_array(value):
            for item in value:
                out.extend(["", f"[[{name}]]"])
                _emit(item, name, out)


def to_toml(data: dict[str, Any]) -> str:
    """A plain dict (as from :func:`effective_config`) as a TOML document (None keys omitted)."""
    out: list[str] = []
    _emit(data, "", out)
    return "\n".join(out).strip() + "\n"
