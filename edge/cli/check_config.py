"""``thermoseg-edge check-config``: validate a device config and print it with defaults filled.

Secrets are masked (``**********``); a password from ``password_env`` or a systemd credential
is named, never read. Exit 1 with one line per fault, naming the file and key path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check-config",
        help="validate a device config and print the effective settings (secrets masked)",
        description="Validate a device config TOML and print it with every default filled in. "
        "Exits 1 naming the file, key path and expected value when it is invalid.",
    )
    p.add_argument("config", type=Path, help="device config TOML")
    p.add_argument(
        "--format", choices=("toml", "json"), default="toml", help="output format (default toml)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing when valid")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.comms.config import broker_address
    from edge.device.config import effective_config, load_config, to_toml

    cfg = load_config(args.config)
    if args.quiet:
        return 0
    data = effective_config(cfg)
    if args.format == "json":
        print(json.dumps(data, indent=2))
    else:
        print(f"# {args.config}: valid; effective config (defaults filled in, secrets masked)")
        # An unset mqtt.host prints as a comment: say which broker(s) that means.
        brokers = ", ".join(broker_address(h, p) for h, p in cfg.mqtt.broker_list())
        print(f"# MQTT broker(s), in order: {brokers}")
        print(to_toml(data), end="")
    return 0
