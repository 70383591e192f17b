"""What every segmenter backend provides.

A backend is one module with a small pydantic config whose ``type: Literal[...]`` selects it and
a :class:`Segmenter` subclass; :mod:`edge.segmenters` maps ``type`` to the class explicitly.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from edge.core.preprocess import PreprocessConfig

__all__ = ["Segmenter"]


class Segmenter(ABC):
    """Turns the model-size RGB image into an abnormal-region mask.

    ``segment`` takes RGB uint8 (S, S, 3) from :func:`edge.core.preprocess.to_model_input` and returns
    a uint8 (S, S) mask of 0/1 where 1 marks abnormally warm pixels.
    """

    type: ClassVar[str]
    config_class: ClassVar[builtins.type[BaseModel]]

    @abstractmethod
    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """RGB uint8 (S, S, 3) → mask uint8 (S, S) of 0/1."""

    def describe(self) -> dict[str, Any]:
        """What alerts and results record about this segmenter (type, model sha256, ...)."""
        return {"segmenter": self.type, "model_sha256": None}

    def expected_preprocess(self) -> PreprocessConfig | None:
        """The preprocessing this segmenter was built for, when it is fixed (e.g. by a model)."""
        return None

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release resources; safe to call twice."""

    def __enter__(self) -> Segmenter:
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
