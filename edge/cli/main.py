"""``thermoseg-edge``: the device-side command line.

Each sub-command lives in its own module under :mod:`edge.cli` and exposes
``register(subparsers)``; the module list below is the explicit registry.
Exit codes: 0 success, 1 a user error (bad file, config, model: the message names it), 2 usage,
3 a batch command (segment, evaluate) skipped some files (each named; the rest processed).
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import logging
import sys
from collections.abc import Sequence

from edge import DISCLAIMER
from edge.device.logs import LoggingConfig, make_formatter
from edge.errors import ThermosegError

__all__ = ["configure_logging", "main", "run_command"]

log = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = (
    "edge.cli.synth",
    "edge.cli.segment",
    "edge.cli.evaluate",
    "edge.cli.run",
    "edge.cli.check_config",
    "edge.cli.listen",
    "edge.cli.exam",
    "edge.cli.dashboard",
    "edge.cli.init",
    "edge.cli.demo",
    "edge.cli.model",
    "edge.cli.probe",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thermoseg-edge",
        description="Segment abnormally warm regions in breast thermograms. " + DISCLAIMER,
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def configure_logging(verbosity: int, config: LoggingConfig | None = None) -> None:
    """Entry points alone configure logging; modules only call ``logging.getLogger``.

    Without ``config`` (one-shot commands) the level is WARNING, ``-v`` INFO, ``-vv`` DEBUG. With
    the device's ``[logging]`` section (``run``) its level applies and ``-v`` can only lower it;
    the format follows ``logging.format`` (journal under systemd). Called again, it replaces the
    handler. :mod:`faulthandler` is enabled so a fatal signal (the watchdog's SIGABRT) or a
    crash in native code leaves every thread's Python traceback on stderr.
    """
    by_flag = (
        logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    )
    config = config or LoggingConfig(level=logging.getLevelName(by_flag))
    level = logging.getLevelNamesMapping()[config.level]
    if verbosity > 0:
        level = min(by_flag, level)
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(config.format))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if not faulthandler.is_enabled():
        try:
            faulthandler.enable(all_threads=True)
        except (AttributeError, ValueError, OSError, RuntimeError):
            log.debug("faulthandler: stderr has no file descriptor; not enabled")


def run_command(prog: str, parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse, configure logging, run the chosen sub-command; errors become exit status 1.

    Shared by ``thermoseg-edge``, ``thermoseg-train`` and ``thermoseg-convert``.
    """
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except ThermosegError as exc:
        print(f"{prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    return run_command("thermoseg-edge", build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
