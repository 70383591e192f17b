"""``thermoseg-edge init``: write an example device config and the systemd unit to chosen paths.

The files come from the installation itself (see :mod:`edge.cli._shipped`), so a device set up
from a wheel needs no copy of the repository. The unit's ``ExecStart=`` is pointed at this
installation's ``thermoseg-edge`` and at the config written alongside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.errors import ConfigError

__all__ = ["BACKOFF_UNIT", "UDEV_RULE", "register", "run", "unit_text"]

UDEV_RULE = "60-thermoseg-purethermal.rules"
BACKOFF_UNIT = "thermoseg-edge-backoff.service"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from edge.cli._shipped import CONFIG_EXAMPLES

    p = sub.add_parser(
        "init",
        help="write an example device config and/or the systemd unit to chosen paths",
        description="Write an example device config (validated) and/or the systemd unit that runs "
        "the screening daemon. Existing files are kept unless --force.",
    )
    p.add_argument("--config", type=Path, default=None, help="where to write the device config")
    p.add_argument("--unit", type=Path, default=None, help="where to write the systemd unit")
    p.add_argument(
        "--udev",
        type=Path,
        default=None,
        help="where to write the PureThermal udev rule (/etc/udev/rules.d/60-thermoseg-...)",
    )
    p.add_argument(
        "--example",
        choices=CONFIG_EXAMPLES,
        default="lepton",
        help="which example config (default lepton: the FLIR Lepton on a PureThermal board)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)


def unit_text(template: str, executable: Path | None, config: Path | None) -> str:
    """The unit with ``ExecStart=`` naming ``executable`` and ``config`` (each when given)."""
    lines = template.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.startswith("ExecStart="):
            continue
        words = line.removeprefix("ExecStart=").split()
        if executable is not None:
            words[0] = str(executable)
        if config is not None and "--config" in words[:-1]:
            words[words.index("--config") + 1] = str(config)
        lines[i] = "ExecStart=" + " ".join(words) + "\n"
    return "".join(lines)


def _write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; expected a new path (or pass --force)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write it ({exc.strerror})") from None


def run(args: argparse.Namespace) -> int:
    from edge.cli._shipped import shipped_config, shipped_unit
    from edge.device.config import load_config

    if args.config is None and args.unit is None and args.udev is None:
        raise SystemExit("thermoseg-edge init: give --config PATH, --unit PATH and/or --udev PATH")
    config = None if args.config is None else args.config.resolve()
    if config is not None:
        source = shipped_config(args.example)
        load_config(source)  # the example must itself be valid
        _write(config, source.read_text(encoding="utf-8"), args.force)
        print(f"wrote {config} (example {args.example!r}); edit device_id and [mqtt], then run:")
        print(f"  thermoseg-edge check-config {config}")
    if args.unit is not None:
        here = Path(sys.executable).parent / "thermoseg-edge"
        template = shipped_unit().read_text(encoding="utf-8")
        text = unit_text(template, here if here.is_file() else None, config)
        _write(args.unit, text, args.force)
        # The unit's OnFailure= names this one (restart back-off on systemd 252): same folder.
        from edge.cli._shipped import shipped_file

        backoff = args.unit.with_name(BACKOFF_UNIT)
        _write(backoff, shipped_file("systemd", BACKOFF_UNIT).read_text("utf-8"), args.force)
        print(f"wrote {args.unit} and {backoff}; install them with:")
        print(f"  sudo cp {args.unit} {backoff} /etc/systemd/system/")
        print("  sudo systemctl daemon-reload && sudo systemctl enable --now thermoseg-edge")
    if args.udev is not None:
        from edge.cli._shipped import shipped_file

        rule = shipped_file("systemd", UDEV_RULE).read_text(encoding="utf-8")
        _write(args.udev, rule, args.force)
        print(
            f"wrote {args.udev}; apply it with: sudo udevadm control --reload && "
            "sudo udevadm trigger"
        )
    return 0
