"""``thermoseg-edge run``: the device daemon (what the systemd unit starts)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.device.daemon import RunSummary

__all__ = ["register", "run", "write_summary"]


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
    p.add_argument(
        "--summary-json",
        type=Path,
        default=None,
        metavar="PATH",
        help="when the daemon stops, write what it did (frames, alerts, outbox) here as JSON",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so `thermoseg-edge --help` stays fast and needs no camera/MQTT modules.
    from edge.cli.main import configure_logging
    from edge.device.config import load_config
    from edge.device.daemon import Daemon

    for name in ("max_seconds", "max_frames"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise SystemExit(f"thermoseg-edge run: --{name.replace('_', '-')} must be positive")
    cfg = load_config(args.config)
    configure_logging(args.verbose, cfg.logging)
    summary = Daemon(cfg).run(max_seconds=args.max_seconds, max_frames=args.max_frames)
    if args.summary_json is not None:
        write_summary(args.summary_json, summary)
    return summary.exit_code


def write_summary(path: Path, summary: RunSummary) -> None:
    """Write ``summary`` as JSON, atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise SystemExit(f"thermoseg-edge run: --summary-json {path}: {exc.strerror}") from None
