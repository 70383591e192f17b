"""``thermoseg-edge run``: the device daemon (what the systemd unit starts)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run the screening daemon: camera -> segmentation -> MQTT alerts (screening aid only)",
        description="Read frames from the configured source, segment abnormally warm regions and "
        "publish alerts over MQTT until SIGTERM. A screening aid for clinician review; it never "
        "diagnoses.",
    )
    p.add_argument("--config", type=Path, required=True, help="device config TOML")
    p.add_argument("--max-seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so `thermoseg-edge --help` stays fast and needs no camera/MQTT modules.
    from edge.device.config import load_config
    from edge.device.daemon import Daemon

    for name in ("max_seconds", "max_frames"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise SystemExit(f"thermoseg-edge run: --{name.replace('_', '-')} must be positive")
    cfg = load_config(args.config)
    return Daemon(cfg).run(max_seconds=args.max_seconds, max_frames=args.max_frames).exit_code
