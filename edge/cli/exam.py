"""``thermoseg-edge exam``: start or end an exam on a device, with an opaque exam id.

Publishes ``{"exam_id": "<id>"}`` (or ``null`` to end it) retained on
``<prefix>/<device>/exam/set``; the device's alerts and snapshots then carry the id. Use an id
from the clinic's own system (random or sequential): never a name or other patient data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.errors import ConfigError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "exam",
        help="start or end an exam on a device (opaque exam id; no patient data)",
        description=__doc__,
    )
    p.add_argument("action", choices=("start", "end"), help="start an exam or end the current one")
    p.add_argument(
        "exam_id", nargs="?", default=None, help="opaque id (start only): 1-32 of A-Za-z0-9_-"
    )
    p.add_argument("--broker", required=True, metavar="HOST[:PORT]", help="MQTT broker")
    p.add_argument("--device", required=True, help="device id")
    p.add_argument("--prefix", default="thermoseg", help="topic prefix (default thermoseg)")
    p.add_argument("--username", default=None, help="broker user name")
    p.add_argument(
        "--password-env", default=None, metavar="VAR", help="env variable with the password"
    )
    p.add_argument("--ca", type=Path, default=None, help="CA file: connect with TLS")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.cli.listen import parse_broker
    from edge.comms.commands import CommandClient
    from edge.comms.config import MqttConfig, TLSConfig
    from edge.device.exam import EXAM_ID_PATTERN, exam_topic

    if args.action == "start":
        if args.exam_id is None or not EXAM_ID_PATTERN.match(args.exam_id):
            raise ConfigError(
                f"exam start {args.exam_id!r}: expected an opaque id of 1-32 letters, digits, "
                "'_' or '-' (never a name)"
            )
    elif args.exam_id is not None:
        raise ConfigError("exam end takes no exam id")
    host, port = parse_broker(args.broker, args.ca is not None)
    try:
        cfg = MqttConfig(
            host=host,
            port=port,
            topic_prefix=args.prefix,
            username=args.username,
            password_env=args.password_env,
            tls=TLSConfig(ca=args.ca) if args.ca else None,
        )
    except ValueError as exc:
        raise ConfigError(f"exam options: {exc}") from exc
    client = CommandClient(cfg)
    client.start()
    try:
        where = exam_topic(cfg.topic_prefix, args.device)
        client.publish(where, {"exam_id": args.exam_id}, retain=True)
    finally:
        client.stop()
    print(
        f"exam {'started: ' + args.exam_id if args.exam_id else 'ended'} on {args.device} ({where})"
    )
    return 0
