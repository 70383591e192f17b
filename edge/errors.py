"""Every error thermoseg raises on purpose.

Catch :class:`ThermosegError` to catch them all::

    ThermosegError
    ├── ConfigError        a config file, key or value is wrong (names the file and key path)
    ├── FrameError         a frame or frame file cannot be read or has the wrong shape/dtype
    │   └── SourceError    a frame source (camera, replay folder) cannot deliver frames
    ├── DatasetError       a training/evaluation folder is missing pairs, empty or inconsistent
    ├── ModelError         a model file, its manifest or its tensors are not what was expected
    ├── OutputError        an output folder or file cannot be written (full, read-only, a file)
    ├── PublishError       the MQTT broker refused or could not be reached
    └── MissingExtraError  an optional dependency is not installed (names the extra)

Messages always name the file, field or value at fault and what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "ConfigError",
    "DatasetError",
    "FrameError",
    "MissingExtraError",
    "ModelError",
    "OutputError",
    "PublishError",
    "SourceError",
    "ThermosegError",
    "validation_problems",
]


class ThermosegError(Exception):
    """Base class of every error thermoseg raises on purpose."""


class ConfigError(ThermosegError):
    """A configuration file, key path or value is invalid."""


class FrameError(ThermosegError):
    """A frame (or a frame file) cannot be read or is not the expected shape/dtype."""


class SourceError(FrameError):
    """A frame source cannot deliver frames (camera unplugged, stalled, folder empty)."""


class DatasetError(ThermosegError):
    """A dataset folder is empty, has unpaired images/masks, or inconsistent sizes."""


class ModelError(ThermosegError):
    """A model file or its manifest is missing, corrupt or does not match."""


class OutputError(ThermosegError):
    """An output folder or file cannot be written (disk full, read-only, a file in the way)."""


class PublishError(ThermosegError):
    """The MQTT broker could not be reached or refused the client."""


class MissingExtraError(ThermosegError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        why = f" ({purpose})" if purpose else ""
        super().__init__(
            f"{package} is not installed{why}: install it with `pip install 'thermoseg[{extra}]'`"
        )
        self.package = package
        self.extra = extra


def validation_problems(exc: ValidationError, *, with_input: bool = False) -> str:
    """A pydantic error as one line: ``key.path: message`` per problem, ``;``-separated;
    ``with_input`` adds the value at fault (``key.path=value: message``) where a key names it."""
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        if with_input and path:
            path = f"{path}={err.get('input')!r}"
        problems.append(f"{path or '<root>'}: {err['msg']}")
    return "; ".join(problems)
