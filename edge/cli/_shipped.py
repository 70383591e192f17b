"""The example device configs and the systemd unit, found in an installed wheel or a checkout.

A wheel carries them under ``edge/_data/`` (copied at build time by ``setup.py``); a checkout
(or an editable install) reads the top-level ``firmware_config/`` and ``systemd/`` folders.
"""

from __future__ import annotations

from pathlib import Path

from edge.errors import ConfigError

__all__ = ["CONFIG_EXAMPLES", "UNIT_NAME", "shipped_config", "shipped_file", "shipped_unit"]

_PACKAGE = Path(__file__).resolve().parents[1]
_PLACES = (_PACKAGE / "_data", _PACKAGE.parent)  # installed wheel first, then the checkout

CONFIG_EXAMPLES: tuple[str, ...] = ("default", "lepton", "demo")
UNIT_NAME = "thermoseg-edge.service"


def shipped_file(folder: str, name: str) -> Path:
    """``<folder>/<name>`` from the wheel's data or the checkout; ConfigError naming both."""
    tried = [place / folder / name for place in _PLACES]
    for path in tried:
        if path.is_file():
            return path
    raise ConfigError(
        f"{folder}/{name}: not found in this installation (looked in "
        + ", ".join(str(p) for p in tried)
        + "); reinstall thermoseg or run from a full checkout"
    )


def shipped_config(example: str = "default") -> Path:
    """An example device config: ``default`` (documented defaults), ``lepton`` or ``demo``."""
    if example not in CONFIG_EXAMPLES:
        raise ConfigError(
            f"config example {example!r}: expected one of {', '.join(CONFIG_EXAMPLES)}"
        )
    return shipped_file("firmware_config", f"{example}.toml")


def shipped_unit() -> Path:
    """The systemd unit that runs the daemon."""
    return shipped_file("systemd", UNIT_NAME)
