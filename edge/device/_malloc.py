"""glibc malloc arenas of the daemon.

glibc gives each thread that allocates its own arena (up to 8 per core). The capture and
inference threads each allocate a frame's arrays, so each arena grows to a frame's working set
and trims and regrows on its own; their high-water marks add up in the daemon's peak RSS.
Capping the arenas (``mallopt(M_ARENA_MAX)``) before the threads start makes them share one.
The daemon's threads hold the GIL for nearly all their allocations, so sharing costs no waiting.
"""

from __future__ import annotations

import ctypes
import logging

__all__ = ["limit_malloc_arenas"]

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas at ``count`` for threads that have not allocated yet.

    True when the C library took the setting; False for ``count`` 0 (glibc's default kept) or
    a C library without ``mallopt`` or this option (musl, macOS): nothing changes there."""
    if count <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        log.debug("no mallopt in this C library; malloc arenas left as they are")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))
