"""TensorFlow and Keras, imported only when a conversion needs them.

``thermoseg-convert --help`` and the manifest code work without TensorFlow; a missing install
raises :class:`~edge.errors.MissingExtraError` naming the ``train`` extra.
"""

from __future__ import annotations

import os
from types import ModuleType

from edge.errors import MissingExtraError

__all__ = ["import_keras", "import_tensorflow"]


def import_tensorflow() -> ModuleType:
    """The ``tensorflow`` module, or :class:`MissingExtraError` naming the ``train`` extra."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ info lines drown our output
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise MissingExtraError("tensorflow", "train", "converting Keras models to TFLite") from exc
    return tf


def import_keras() -> ModuleType:
    """The ``keras`` module (Keras 3), imported after TensorFlow so it uses that backend."""
    import_tensorflow()
    try:
        import keras
    except ImportError as exc:
        raise MissingExtraError("keras", "train", "loading Keras models") from exc
    return keras
