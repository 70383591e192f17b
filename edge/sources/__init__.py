"""Frame sources, selected by ``type`` through an explicit registry.

>>> from edge.sources import create_source, SyntheticConfig
>>> with create_source(SyntheticConfig(fps=0)) as cam:
...     frame = cam.read()
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from edge.sources.base import FrameSource
from edge.sources.lepton import LeptonConfig, LeptonSource
from edge.sources.picamera2 import Picamera2Config, Picamera2Source
from edge.sources.replay import ReplayConfig, ReplaySource
from edge.sources.synthetic import SyntheticConfig, SyntheticSource

__all__ = [
    "SOURCES",
    "FrameSource",
    "LeptonConfig",
    "LeptonSource",
    "Picamera2Config",
    "Picamera2Source",
    "ReplayConfig",
    "ReplaySource",
    "SourceConfig",
    "SyntheticConfig",
    "SyntheticSource",
    "create_source",
]

SOURCES: dict[str, type[FrameSource]] = {
    "lepton": LeptonSource,
    "picamera2": Picamera2Source,
    "replay": ReplaySource,
    "synthetic": SyntheticSource,
}

SourceConfig = Annotated[
    Union[LeptonConfig, Picamera2Config, ReplayConfig, SyntheticConfig],  # noqa: UP007
    Field(discriminator="type"),
]


def create_source(
    config: LeptonConfig | Picamera2Config | ReplayConfig | SyntheticConfig,
) -> FrameSource:
    """Build (but do not start) the source that ``config.type`` names."""
    return SOURCES[config.type](config)  # type: ignore[call-arg]
