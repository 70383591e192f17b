"""The LiteRT interpreter, imported lazily so the rest of ``edge`` works without it.

The device installs ``ai-edge-litert`` (the ``edge`` extra); an older image may carry the
``tflite-runtime`` wheel instead, which has the same ``Interpreter`` API. TensorFlow is never
imported here: the device does not have it.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from edge.errors import MissingExtraError, ModelError

__all__ = ["INTERPRETER_MODULES", "interpreter_class", "make_interpreter"]

log = logging.getLogger(__name__)

# Tried in order; the first that imports wins.
INTERPRETER_MODULES: tuple[str, ...] = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter")


def interpreter_class() -> Any:
    """The ``Interpreter`` class of the first LiteRT runtime that imports.

    Raises :class:`MissingExtraError` naming the ``edge`` extra when none is installed.
    """
    for name in INTERPRETER_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        log.debug("LiteRT interpreter from %s", name)
        return module.Interpreter
    raise MissingExtraError("ai-edge-litert", "edge", "the tflite segmenter runs models with it")


def make_interpreter(
    model: bytes | Path, num_threads: int = 1, *, source: str | None = None
) -> Any:
    """A LiteRT interpreter with tensors allocated, from model bytes or a ``.tflite`` path.

    ``source`` names the model in error messages when ``model`` is bytes.
    """
    cls = interpreter_class()
    where = source or (str(model) if isinstance(model, Path) else "<model bytes>")
    try:
        if isinstance(model, Path):
            interpreter = cls(model_path=str(model), num_threads=num_threads)
        else:
            interpreter = cls(model_content=model, num_threads=num_threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{where}: LiteRT cannot load this model: {exc}") from exc
    return interpreter
