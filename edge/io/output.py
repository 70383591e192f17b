"""Writing output files: whole or not at all, with an error naming the file and the cause."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from edge.errors import OutputError

__all__ = ["cannot_write", "unwritable_reason", "write_bytes_atomically"]

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ENOTDIR: "a path component is a file, not a folder",
    errno.EEXIST: "a file is in the way of a folder",
}


def unwritable_reason(exc: OSError) -> str:
    """Why a write failed, in words a person acts on (the disk is full, permission denied)."""
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


def cannot_write(where: Path, exc: OSError, context: str = "") -> OutputError:
    """The one message for an output that cannot be written: ``where``, why (in words), what
    was expected; ``context`` ends it (the CLI adds " for --out")."""
    return OutputError(
        f"{where}: cannot write output ({unwritable_reason(exc)}); expected a writable folder"
        f"{context}"
    )


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (creating its folders) through a temporary file in the same
    folder renamed into place, so a full or failing disk leaves no partial file; returns
    ``path``. Raises :class:`OutputError` naming the file and the cause."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise cannot_write(path, exc) from None
    return path
