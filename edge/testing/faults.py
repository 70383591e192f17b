"""Real faults for tests and benches: a small filesystem that fills up.

A full disk is simulated with a real one: a tmpfs of a few hundred kilobytes (mounting needs
root) filled with zeros until the kernel says ENOSPC.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = ["fill_filesystem", "small_tmpfs"]


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "512k") -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted at ``where`` and unmounted at the end.

    Raises PermissionError when this process is not root, OSError when the mount fails."""
    if os.geteuid() != 0:
        raise PermissionError("mounting a small tmpfs needs root")
    where.mkdir(parents=True, exist_ok=True)
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise OSError(f"cannot mount a tmpfs at {where}: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_filesystem(where: Path) -> Path:
    """Write zeros to ``where/filler`` until ENOSPC; the file stays, so the disk stays full."""
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, bytes(4096))
    except OSError:  # ENOSPC: full
        pass
    finally:
        os.close(fd)
    return filler
