"""thermoseg's device runtime: frames, preprocessing, segmenters, analysis, alerts.

Never imports TensorFlow. thermoseg is a screening aid and never diagnoses.
"""

from __future__ import annotations

from edge.core.frame import Frame
from edge.errors import (
    ConfigError,
    DatasetError,
    FrameError,
    MissingExtraError,
    ModelError,
    PublishError,
    SourceError,
    ThermosegError,
)

__all__ = [
    "DISCLAIMER",
    "ConfigError",
    "DatasetError",
    "Frame",
    "FrameError",
    "MissingExtraError",
    "ModelError",
    "PublishError",
    "SourceError",
    "ThermosegError",
    "__version__",
]

__version__ = "0.1.0"

DISCLAIMER = (
    "Screening aid only: thermoseg flags abnormally warm regions for review by a clinician. "
    "It does not diagnose breast cancer."
)
