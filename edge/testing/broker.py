"""A local mosquitto on a loopback port, for tests and the demo.

>>> with LocalBroker() as broker:
...     print(broker.host, broker.port)

``start()`` writes a ``mosquitto.conf`` into a working folder, starts ``mosquitto`` listening on
``127.0.0.1:<port>`` and waits until the port accepts connections; ``stop()`` terminates it.
A stopped broker can be started again: it keeps its port, its config and (with
``persistence=True``, the default) its retained messages and persistent client sessions, which is
what a real broker outage looks like to the clients.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from edge.errors import PublishError

__all__ = ["BrokerTLS", "LocalBroker", "find_mosquitto", "free_port"]

log = logging.getLogger(__name__)

_SYSTEM_DEPS_HINT = "install it with `make system-deps` (Debian package mosquitto)"


@dataclass(frozen=True)
class BrokerTLS:
    """TLS listener settings: CA that signs client certificates, server certificate and key."""

    ca: Path
    cert: Path
    key: Path
    require_certificate: bool = False


def find_mosquitto() -> Path:
    """Path of the mosquitto executable; :class:`PublishError` when it is not installed."""
    for candidate in (
        shutil.which("mosquitto"),
        "/usr/sbin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise PublishError(f"mosquitto was not found on PATH nor in /usr/sbin: {_SYSTEM_DEPS_HINT}")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalBroker:
    """A mosquitto process owned by this object (context manager)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: BrokerTLS | None = None,
        workdir: Path | None = None,
        allow_anonymous: bool | None = None,
        persistence: bool = True,
        acl_file: Path | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port if port is not None else free_port(self.host)
        self.users = dict(users or {})
        self.tls = tls
        # Anonymous clients are allowed unless a password file or client certificates guard it.
        self.allow_anonymous = (
            allow_anonymous
            if allow_anonymous is not None
            else not self.users and not (tls and tls.require_certificate)
        )
        self.persistence = persistence
        self.acl_file = acl_file  # a mosquitto acl_file (deploy/mosquitto/acl in the tests)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="thermoseg-mosquitto-")
            workdir = Path(self._tmp.name)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf_path = self.workdir / "mosquitto.conf"
        self.log_path = self.workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"LocalBroker({self.host}:{self.port}, {state})"

    # -- config -----------------------------------------------------------------------------
    def _write_password_file(self) -> Path:
        path = self.workdir / "passwd"
        # Plain "user:password" lines hashed in place by mosquitto_passwd -U, so passwords never
        # appear on a command line.
        path.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()), encoding="utf-8")
        path.chmod(0o600)
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        if not os.access(tool, os.X_OK):
            raise PublishError(f"mosquitto_passwd was not found: {_SYSTEM_DEPS_HINT}")
        proc = subprocess.run([tool, "-U", str(path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise PublishError(f"mosquitto_passwd -U {path} failed: {proc.stderr.strip()}")
        return path

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} {self.host}",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            "persistence_file mosquitto.db",
            # Enough queued messages for a long offline subscriber in the tests.
            "max_queued_messages 100000",
        ]
        if os.geteuid() == 0:
            # As root mosquitto drops to user "mosquitto", who cannot read our temp files.
            lines.append(f"user {getpass.getuser()}")
        if self.users:
            lines.append(f"password_file {self._write_password_file()}")
        if self.acl_file is not None:
            lines.append(f"acl_file {Path(self.acl_file).resolve()}")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca}",
                f"certfile {self.tls.cert}",
                f"keyfile {self.tls.key}",
                f"require_certificate {'true' if self.tls.require_certificate else 'false'}",
            ]
        self.conf_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Start mosquitto and wait until its port accepts connections."""
        if self.is_running():
            return
        exe = find_mosquitto()
        self._write_config()
        self._proc = subprocess.Popen(
            [str(exe), "-c", str(self.conf_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                self._proc = None
                raise PublishError(
                    f"mosquitto -c {self.conf_path} exited at start: {err.strip() or self._log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    log.info("local mosquitto listening on %s:%d", self.host, self.port)
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise PublishError(
            f"mosquitto -c {self.conf_path} did not accept connections on "
            f"{self.host}:{self.port} within {timeout:.0f} s: {self._log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate mosquitto (it saves its persistence file); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        log.info("local mosquitto on %s:%d stopped", self.host, self.port)

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        """Everything mosquitto logged so far (connections, refusals)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, lines: int = 10) -> str:
        return " | ".join(self.log_text().splitlines()[-lines:])

    def cleanup(self) -> None:
        """Stop and remove the temporary working folder (when this object created it)."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
