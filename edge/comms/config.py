"""The ``[mqtt]`` config section, secret resolution and topic names (no paho import here).

Secrets never appear in logs or reprs: the password is a :class:`~pydantic.SecretStr` and may
instead come from an environment variable (``password_env``) or a systemd credential
(``password_credential``, a file name in ``$CREDENTIALS_DIRECTORY``, see ``LoadCredential=``);
the TLS client key may likewise come from a credential (``tls.key_credential``).
:mod:`edge.comms._paho` applies it to a paho client.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from edge.errors import ConfigError

__all__ = [
    "DEFAULT_HOST",
    "MqttConfig",
    "TLSConfig",
    "broker_address",
    "check_credential_name",
    "credential_path",
    "parse_broker",
    "topic",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # the broker when neither `host` nor `brokers` is set

_PREFIX_RE = re.compile(r"^[^#+/\s][^#+\s]*[^#+/\s]$|^[^#+/\s]$")


_CREDENTIAL_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,254}")


def check_credential_name(name: str) -> str:
    """A systemd credential name: a plain file name, never a path out of the folder."""
    if not _CREDENTIAL_RE.fullmatch(name) or ".." in name:
        raise ValueError(
            f"credential name {name!r}: expected a plain name inside $CREDENTIALS_DIRECTORY "
            "(letters, digits, _ . @ : -; no '/', no '..', not an absolute path)"
        )
    return name


def credential_path(name: str, key_path: str) -> Path:
    """``$CREDENTIALS_DIRECTORY/<name>``; ConfigError naming ``key_path`` when it is missing."""
    try:
        check_credential_name(name)
    except ValueError as exc:
        raise ConfigError(f"{key_path}: {exc}") from None
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if not folder:
        raise ConfigError(
            f"{key_path} = {name!r} names a systemd credential but $CREDENTIALS_DIRECTORY is not "
            "set; expected the service to declare LoadCredential= (or unset the key)"
        )
    path = Path(folder) / name
    if not path.is_file():
        raise ConfigError(f"{key_path} = {name!r}: credential file {path} does not exist")
    if _blank_credential(path):
        # The shipped unit's SetCredential= fallback: the file behind LoadCredential= is missing.
        raise ConfigError(
            f"{key_path} = {name!r}: the credential is empty; expected the file the unit's "
            "LoadCredential= names (e.g. /etc/thermoseg/mqtt-password) to exist and hold it"
        )
    return path


def _blank_credential(path: Path) -> bool:
    try:
        return path.stat().st_size <= 2 and not path.read_bytes().strip()
    except OSError:
        return False


_BROKER_RE = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:/\[\]]+))(?::(?P<port>\d{1,5}))?$"
)


def parse_broker(entry: str, default_port: int) -> tuple[str, int]:
    """``"host"``, ``"host:port"`` or ``"[v6]:port"`` as (host, port); ValueError otherwise."""
    m = _BROKER_RE.match(entry.strip())
    port = int(m.group("port")) if m and m.group("port") else default_port
    if m is None or not 1 <= port <= 65535:
        raise ValueError(f"broker {entry!r}: expected host, host:port or [ipv6]:port")
    return (m.group("v6") or m.group("host")), port


def broker_address(host: str, port: int) -> str:
    """``host:port``, or ``[v6]:port`` for an IPv6 address (as logs and errors show a broker)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def topic(prefix: str, device_id: str, leaf: str) -> str:
    """``<prefix>/<device_id>/<leaf>``, e.g. ``thermoseg/pi-01/alerts``."""
    return f"{prefix.strip('/')}/{device_id}/{leaf}"


class TLSConfig(BaseModel):
    """TLS to the broker: CA to trust, optional client certificate and key."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    ca: Path | None = Field(None, description="CA certificate file (PEM); None: system CAs")
    cert: Path | None = Field(None, description="client certificate (PEM) for mutual TLS")
    key: Path | None = Field(None, repr=False, description="client private key (PEM); never logged")
    key_credential: str | None = Field(
        None, description="client key as a systemd credential name (instead of `key`)"
    )
    insecure: bool = Field(
        False, description="skip the broker host name check (testing only; never in the field)"
    )

    @field_validator("key_credential")
    @classmethod
    def _plain_name(cls, v: str | None) -> str | None:
        return None if v is None else check_credential_name(v)

    @model_validator(mode="after")
    def _key_once(self) -> TLSConfig:
        if self.key is not None and self.key_credential is not None:
            raise ValueError("set either tls.key or tls.key_credential, not both")
        return self

    def resolve_key(self) -> Path | None:
        """The client key file, from ``key`` or ``$CREDENTIALS_DIRECTORY/<key_credential>``."""
        if self.key_credential is not None:
            return credential_path(self.key_credential, "mqtt.tls.key_credential")
        return self.key

    def check_files(self) -> None:
        """ConfigError naming the key whose file does not exist."""
        for name, path in (("ca", self.ca), ("cert", self.cert)):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"mqtt.tls.{name} = {str(path)!r}: expected an existing PEM file")
        key = self.resolve_key()
        if key is not None and not Path(key).is_file():
            # The key's location is treated as a secret: name the setting, not the path.
            raise ConfigError("mqtt.tls.key: the configured client key file does not exist")
        if (self.cert is None) != (self.resolve_key() is None):
            raise ConfigError("mqtt.tls: a client certificate needs both `cert` and `key`")


class MqttConfig(BaseModel):
    """Where and how alerts are published."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    host: str | None = Field(
        None,
        min_length=1,
        description="broker host name or address; unset: 127.0.0.1 unless `brokers` is set",
    )
    port: int = Field(1883, ge=1, le=65535, description="broker port (8883 is usual for TLS)")
    brokers: list[str] = Field(
        default_factory=list,
        description="several brokers, tried in order (host, host:port; port defaults to `port`): "
        "the first that accepts is used, back-off after a full round; instead of `host`",
    )
    topic_prefix: str = Field("thermoseg", description="topics are <prefix>/<device_id>/<leaf>")
    client_id: str | None = Field(None, description="MQTT client id; default thermoseg-<device_id>")
    username: str | None = Field(None, description="user name; None: anonymous")
    password: SecretStr | None = Field(
        None, description="password (prefer password_env or a credential)"
    )
    password_env: str | None = Field(None, description="environment variable holding the password")
    password_credential: str | None = Field(
        None, description="systemd credential name holding the password"
    )
    tls: TLSConfig | None = Field(None, description="TLS settings; None: plain TCP")
    keepalive: int = Field(30, ge=5, le=3600, description="seconds between keepalive pings")
    homeassistant: bool = Field(False, description="publish Home Assistant discovery configs")
    homeassistant_prefix: str = Field(
        "homeassistant",
        description="Home Assistant's discovery_prefix; when discovery is off, the configs under "
        "it are cleared (empty retained payloads)",
    )
    reconnect_min_s: float = Field(1.0, gt=0, description="first reconnect back-off delay")
    reconnect_max_s: float = Field(60.0, gt=0, description="longest reconnect back-off delay")
    connect_timeout_s: float = Field(10.0, gt=0, description="TCP/TLS connect and CONNACK timeout")
    max_inflight: int = Field(
        20,
        ge=1,
        le=1000,
        description="QoS1 messages awaiting PUBACK at once (sent from the outbox)",
    )

    @field_validator("password_credential")
    @classmethod
    def _plain_name(cls, v: str | None) -> str | None:
        return None if v is None else check_credential_name(v)

    @field_validator("topic_prefix", "homeassistant_prefix")
    @classmethod
    def _prefix_ok(cls, v: str) -> str:
        if not _PREFIX_RE.match(v):
            raise ValueError(
                f"topic_prefix {v!r}: expected a topic without wildcards (+ #), spaces or "
                "leading/trailing '/'"
            )
        return v

    @model_validator(mode="after")
    def _one_password_source(self) -> MqttConfig:
        given = [
            n
            for n in ("password", "password_env", "password_credential")
            if getattr(self, n) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"set only one of password, password_env, password_credential (got {given})"
            )
        if given and self.username is None:
            raise ValueError(f"{given[0]} is set but username is not")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        if self.brokers and self.host is not None:
            raise ValueError("set either host or brokers, not both")
        for entry in self.brokers:
            parse_broker(entry, self.port)
        return self

    def broker_list(self) -> list[tuple[str, int]]:
        """The brokers to try, in order: ``brokers``, else the single ``host`` (127.0.0.1 when
        unset) at ``port``. Every connection goes through this, never through ``host``."""
        if not self.brokers:
            return [(self.host or DEFAULT_HOST, self.port)]
        return [parse_broker(entry, self.port) for entry in self.brokers]

    def resolve_client_id(self, device_id: str) -> str:
        return self.client_id or f"thermoseg-{device_id}"

    def resolve_password(self) -> str | None:
        """The password from the config, the environment or a systemd credential (never logged)."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"mqtt.password_env = {self.password_env!r}: that environment variable is not set"
                )
            return value
        if self.password_credential is not None:
            path = credential_path(self.password_credential, "mqtt.password_credential")
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        return None
