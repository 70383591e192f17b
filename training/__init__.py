"""Training and assessment of the U-Nets (Keras 3 on TensorFlow): workstation only.

``training`` may import :mod:`edge` (preprocessing, readers, phantoms, metrics); ``edge`` never
imports ``training``. TensorFlow is imported lazily by the modules that need it, so
``thermoseg-train --help`` works without it. thermoseg is a screening aid and never diagnoses.
"""

from __future__ import annotations

__all__: list[str] = []
