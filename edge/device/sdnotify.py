"""The systemd ``sd_notify`` protocol, implemented directly (no libsystemd, no extra package).

systemd passes ``$NOTIFY_SOCKET``, a filesystem path or an abstract-namespace name written with
a leading ``@``; each notification is one AF_UNIX datagram of ``KEY=VALUE`` lines
(``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``, ``STATUS=...``). Outside systemd the socket is
unset and every call is a cheap no-op, so the daemon runs the same everywhere.

``$WATCHDOG_USEC`` (with ``$WATCHDOG_PID``) says how often systemd expects ``WATCHDOG=1``;
:func:`watchdog_interval` turns it into the seconds between pings (half the timeout, as
``sd_watchdog_enabled(3)`` recommends).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

__all__ = ["SystemdNotifier", "watchdog_interval"]

log = logging.getLogger(__name__)


def _address(name: str) -> str:
    # "@name" is Linux's abstract namespace: the kernel wants a leading NUL byte instead.
    return "\0" + name[1:] if name.startswith("@") else name


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings, or None when systemd's watchdog is off for us."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog is meant for another process (e.g. our parent)
    return int(usec) / 1e6 / 2.0


class SystemdNotifier:
    """Sends sd_notify datagrams to ``$NOTIFY_SOCKET`` (or the given socket name).

    Failures to send are logged once and never raised: a lost notification must not stop the
    daemon (systemd's watchdog will act if the daemon really is stuck).
    """

    def __init__(self, socket_name: str | None = None) -> None:
        name = os.environ.get("NOTIFY_SOCKET", "") if socket_name is None else socket_name
        self.socket_name: str | None = name or None
        self._sock: socket.socket | None = None
        self._warned = False
        if self.socket_name:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        """True when a notify socket is configured (i.e. running under systemd Type=notify)."""
        return self._sock is not None

    def notify(self, *lines: str) -> bool:
        """Send ``lines`` (``"KEY=VALUE"``) as one datagram; True if it was sent."""
        if self._sock is None or self.socket_name is None:
            return False
        for line in lines:
            if "=" not in line:
                raise ValueError(f"sd_notify line {line!r} is not KEY=VALUE")
        data = "\n".join(lines).encode("utf-8")
        try:
            self._sock.sendto(data, _address(self.socket_name))
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %s failed: %s", self.socket_name, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """``READY=1``: start-up is complete (source, segmenter and MQTT started)."""
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """``STATUS=...``: a one-line status shown by ``systemctl status``."""
        return self.notify(f"STATUS={text.splitlines()[0] if text else ''}")

    def watchdog(self) -> bool:
        """``WATCHDOG=1``: the service is alive and making progress."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """``STOPPING=1``: shutdown has begun."""
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def close(self) -> None:
        """Close the socket; safe to call twice."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
