"""``thermoseg-edge dashboard``: the clinic dashboard (needs the ``dashboard`` extra).

Subscribes to one or more devices, stores their alerts, snapshots, status and stats in SQLite
and serves a live web page on http://127.0.0.1:8080/. ``--hash-password`` prints a password hash
(read from stdin) for ``--password-file``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from edge import DISCLAIMER
from edge.errors import ConfigError, MissingExtraError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dashboard",
        help="clinic dashboard: live alerts with snapshots, devices, history, acknowledgements",
        description=__doc__ + " " + DISCLAIMER,
    )
    p.add_argument("--broker", default="127.0.0.1", metavar="HOST[:PORT]", help="MQTT broker")
    p.add_argument("--prefix", default="thermoseg", help="topic prefix (default thermoseg)")
    p.add_argument(
        "--device", action="append", default=None, help="device to follow (repeat; default all)"
    )
    p.add_argument("--username", default=None, help="broker user name (a dashboard user)")
    p.add_argument(
        "--password-env", default=None, metavar="VAR", help="env var with the broker password"
    )
    p.add_argument("--ca", type=Path, default=None, help="CA file: connect with TLS")
    p.add_argument("--cert", type=Path, default=None, help="client certificate (mutual TLS)")
    p.add_argument("--key", type=Path, default=None, help="client key (mutual TLS)")
    p.add_argument("--client-id", default=None, help="keep a persistent broker session")
    p.add_argument("--db", type=Path, default=Path("dashboard.sqlite3"), help="SQLite store")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    p.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080)")
    p.add_argument("--password-file", type=Path, default=None, help="file with the password hash")
    p.add_argument(
        "--password-credential", default=None, help="systemd credential with the password hash"
    )
    p.add_argument(
        "--hash-password", action="store_true", help="read a password, print its hash, exit"
    )
    p.set_defaults(func=run)


def _require_extra() -> None:
    for module, package in (
        ("starlette", "starlette"),
        ("uvicorn", "uvicorn"),
        ("jinja2", "jinja2"),
    ):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtraError(package, "dashboard", "the dashboard's web app") from None


def run(args: argparse.Namespace) -> int:
    from edge.cli.listen import parse_broker
    from edge.comms.config import MqttConfig, TLSConfig
    from edge.dashboard.auth import hash_password

    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
        password = password.rstrip("\r\n")
        if len(password) < 8:
            raise ConfigError("--hash-password: use at least 8 characters")
        print(hash_password(password))
        return 0
    _require_extra()
    from edge.dashboard.server import DashboardSettings, serve

    tls = args.ca is not None or args.cert is not None
    host, port = parse_broker(args.broker, tls)
    try:
        mqtt = MqttConfig(
            host=host,
            port=port,
            topic_prefix=args.prefix,
            username=args.username,
            password_env=args.password_env,
            tls=TLSConfig(ca=args.ca, cert=args.cert, key=args.key) if tls else None,
        )
    except ValueError as exc:
        raise ConfigError(f"dashboard options: {exc}") from exc
    settings = DashboardSettings(
        mqtt=mqtt,
        devices=tuple(args.device or ["+"]),
        db=args.db,
        host=args.host,
        port=args.port,
        password_file=args.password_file,
        password_credential=args.password_credential,
        client_id=args.client_id,
    )
    return serve(settings)
