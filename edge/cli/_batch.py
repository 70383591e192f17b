"""What the batch commands (``segment``, ``evaluate``) share: one bad file never stops the rest.

Exit statuses: :data:`EXIT_OK` every file processed, :data:`EXIT_SOME_FAILED` some files were
reported and skipped (the rest processed, ``results.jsonl`` complete), 1 a fatal error (config,
model, an unwritable ``--out``), 2 a usage error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from edge.errors import OutputError, ThermosegError
from edge.io.output import cannot_write

__all__ = [
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "describe_failure",
    "open_results",
    "output_error",
    "output_stems",
    "prepare_out",
    "printable",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 3


def printable(text: object) -> str:
    """``text`` safe for one terminal line: control characters and newlines escaped."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        for ch in str(text)
    )


def describe_failure(path: Path, exc: BaseException) -> str:
    """One message for a file that failed: the project's own errors already name the file."""
    if isinstance(exc, ThermosegError):
        return str(exc)
    return f"{path}: {type(exc).__name__}: {exc}"


def output_error(where: Path, exc: OSError) -> OutputError:
    """An :class:`OutputError` naming the output path and why it cannot be written."""
    return cannot_write(where, exc, " for --out")


def prepare_out(out: Path) -> None:
    """Create the ``--out`` folder or raise :class:`OutputError` saying why it cannot be."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: --out is a file; expected a folder (new or existing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out, exc) from None


def open_results(out: Path) -> TextIO:
    """``out/results.jsonl`` opened for writing (the caller closes it), or :class:`OutputError`."""
    try:
        return open(out / "results.jsonl", "w", encoding="utf-8")
    except OSError as exc:
        raise output_error(out / "results.jsonl", exc) from None


def output_stems(files: Sequence[Path]) -> list[Path]:
    """Per input file, its outputs' path stem relative to ``--out``: never two alike.

    The inputs' folders are mirrored below their common folder (``x/a.npy`` and ``y/a.npy`` give
    ``x/a`` and ``y/a``); inputs sharing a folder and a stem keep their suffix (``x/a.npy`` and
    ``x/a.txt`` give ``x/a.npy`` and ``x/a.txt``); anything still alike gets ``-2``, ``-3``...
    """
    absolute = [Path(os.path.abspath(p)) for p in files]
    if not absolute:
        return []
    base = Path(os.path.commonpath([str(p.parent) for p in absolute]))
    rel = [p.relative_to(base) for p in absolute]

    def key(r: Path) -> str:  # case-insensitive file systems too
        return str(r.parent / r.stem).casefold()

    stem_count: dict[str, int] = {}
    for r in rel:
        stem_count[key(r)] = stem_count.get(key(r), 0) + 1
    used: set[str] = set()
    stems: list[Path] = []
    for r in rel:
        name = r.stem if stem_count[key(r)] == 1 else r.name
        candidate, n = r.parent / name, 1
        while str(candidate).casefold() in used:
            n += 1
            candidate = r.parent / f"{name}-{n}"
        used.add(str(candidate).casefold())
        stems.append(candidate)
    return stems
