"""Values of a parsed JSON or TOML document that it cannot be written back with.

``inf``/``nan`` (JSON writes them as null or as non-standard ``NaN``, TOML as ``inf``) and a lone
UTF-16 surrogate (``"\\ud800"`` in JSON; no UTF-8 encoder writes it). The model manifest
(edge.io) and the device config (edge.device) refuse both before validating, naming the key path;
the walk lives here because edge.io may not import edge.device.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["Unwritable", "unwritable"]

_TOP_LEVEL = "(top level)"


class Unwritable(NamedTuple):
    """One value a document cannot be written back with."""

    path: str  # key path such as ``training.config.x`` or ``shape[2]``; "(top level)" for the root
    value: float | str  # the non-finite number, or the text or key holding the surrogate
    in_key: bool = False  # the surrogate is in a key of the mapping at ``path``

    @property
    def problem(self) -> str:
        """What is wrong, for an error message: the number, never the surrogate text (which
        would fail again wherever the message is encoded)."""
        if isinstance(self.value, float):
            return f"expected a finite number (got {self.value})"
        return f"a lone UTF-16 surrogate in {'a key' if self.in_key else 'the text'}"


def _surrogate(text: str) -> bool:
    return not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text)


def unwritable(node: Any, path: str = "") -> Iterator[Unwritable]:
    """Every non-finite float and every text or key with a lone surrogate in ``node``, in order."""
    if (isinstance(node, float) and not math.isfinite(node)) or (
        isinstance(node, str) and _surrogate(node)
    ):
        yield Unwritable(path or _TOP_LEVEL, node)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and _surrogate(key):
                yield Unwritable(path or _TOP_LEVEL, key, in_key=True)
            else:
                yield from unwritable(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from unwritable(value, f"{path}[{i}]")
