"""Wall-clock timestamps as the payloads write them, and whether the clock can be trusted.

A Raspberry Pi up to model 4 has no real-time clock: until NTP has synchronised it, the time is
whatever ``fake-hwclock`` saved at the last shutdown. :func:`clock_synced` asks the kernel (the
``STA_UNSYNC`` flag that NTP daemons — systemd-timesyncd, chrony, ntpd — clear once they discipline
the clock, read with a read-only ``adjtimex``) and, failing that, systemd-timesyncd's flag file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["TIMESYNC_FLAG", "clock_synced", "iso_utc", "kernel_clock_synced"]

TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
_STA_UNSYNC = 0x0040  # <linux/timex.h>
_TIME_ERROR = 5  # adjtimex's return value while the clock is not synchronised


def iso_utc(ts: float) -> str:
    """A UNIX timestamp as ISO-8601 UTC with milliseconds (``2024-01-01T00:00:00.000Z``)."""
    text = datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h> (glibc, 64-bit and 32-bit alike: every field is a long,
    # an int or a struct timeval of longs), followed by the kernel's 11 reserved ints.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("tv_sec", ctypes.c_long),
        ("tv_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    ]


@functools.cache
def _adjtimex() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.adjtimex
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.POINTER(_Timex)]
    func.restype = ctypes.c_int
    return func


def kernel_clock_synced() -> bool | None:
    """The kernel's view (modes = 0: a read, no privilege needed); None where it cannot be asked."""
    func = _adjtimex()
    if func is None:
        return None
    tx = _Timex()
    state = func(ctypes.byref(tx))
    if state < 0:
        return None
    return state != _TIME_ERROR and not tx.status & _STA_UNSYNC


def clock_synced(flag: Path = TIMESYNC_FLAG) -> bool:
    """True when the wall clock has been synchronised (kernel flag, else timesyncd's file)."""
    if kernel_clock_synced():
        return True
    return flag.exists()
