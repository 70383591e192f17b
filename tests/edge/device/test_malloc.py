"""The daemon caps glibc's malloc arenas before its threads start (its peak RSS)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from edge.device._malloc import limit_malloc_arenas
from edge.device.config import PipelineConfig

GLIBC = platform.libc_ver()[0] == "glibc"


def test_the_pipeline_shares_one_malloc_arena_by_default() -> None:
    assert PipelineConfig().malloc_arenas == 1


def test_zero_arenas_leaves_glibcs_default() -> None:
    assert limit_malloc_arenas(0) is False


@pytest.mark.skipif(not GLIBC, reason="mallopt(M_ARENA_MAX) is glibc's")
def test_glibc_takes_the_arena_cap_and_threads_then_share_the_main_arena() -> None:
    # In a child: the cap is process-wide and must precede the threads' first allocations.
    code = """
import ctypes, threading
from edge.device._malloc import limit_malloc_arenas
assert limit_malloc_arenas(1)
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
main = libc.malloc(4096)
seen = []
def grab():
    seen.append(libc.malloc(4096))
thread = threading.Thread(target=grab)
thread.start(); thread.join()
# glibc's other arenas live in their own 64 MiB-aligned heaps, far from the main arena's brk
# heap; with one arena the thread's block comes from the main heap, near the first one.
print(abs(seen[0] - main) < (64 << 20))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
