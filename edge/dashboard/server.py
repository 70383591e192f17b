"""Runs the dashboard: store, MQTT bridge and the web app under uvicorn, until Ctrl-C/SIGTERM.

It binds to loopback by default. Binding to any other address requires a password hash (file
or systemd credential): the page shows breast thermograms. For TLS put a reverse proxy in
front (README: "Dashboard").
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path

from edge.comms.config import MqttConfig
from edge.dashboard.auth import PasswordCheck, load_hash
from edge.dashboard.bridge import Bridge
from edge.dashboard.hub import Hub
from edge.dashboard.store import DashboardStore
from edge.errors import ConfigError

__all__ = ["DashboardSettings", "is_loopback", "serve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DashboardSettings:
    mqtt: MqttConfig
    devices: tuple[str, ...]
    db: Path
    host: str = "127.0.0.1"
    port: int = 8080
    password_file: Path | None = None
    password_credential: str | None = None
    client_id: str | None = None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _password(s: DashboardSettings) -> PasswordCheck | None:
    if s.password_file is None and s.password_credential is None:
        if not is_loopback(s.host):
            raise ConfigError(
                f"--host {s.host}: the dashboard shows thermograms; binding beyond loopback needs "
                "--password-file or --password-credential (a hash from --hash-password)"
            )
        return None
    return PasswordCheck(load_hash(s.password_file, s.password_credential))


def serve(s: DashboardSettings) -> int:
    """Run until interrupted; 0 on a clean stop."""
    import uvicorn

    from edge.dashboard.app import create_app

    password = _password(s)
    store = DashboardStore(s.db)
    hub = Hub()
    bridge = Bridge(s.mqtt, s.devices, store, hub, client_id=s.client_id)
    try:
        bridge.start()
        if not bridge.wait_subscribed(10):
            log.warning(
                "not subscribed yet (%s); retrying in the background", bridge.subscriber.last_error
            )
        app = create_app(store, hub, bridge, password)
        config = uvicorn.Config(
            app,
            host=s.host,
            port=s.port,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        print(f"thermoseg dashboard on http://{s.host}:{s.port}/ (store {s.db})", flush=True)
        uvicorn.Server(config).run()
    finally:
        bridge.stop()
        store.close()
    return 0
