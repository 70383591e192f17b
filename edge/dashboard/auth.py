"""The dashboard's password: PBKDF2-SHA256 hashes (standard library), read from a file or a
systemd credential, checked with HTTP Basic authentication.

A hash line reads ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``; make one with
``thermoseg-edge dashboard --hash-password`` (the password is read from stdin).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from edge.errors import ConfigError

__all__ = ["PasswordCheck", "hash_password", "load_hash"]

_ITERATIONS = 200_000


def hash_password(password: str, iterations: int = _ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def load_hash(path: Path | None = None, credential: str | None = None) -> str:
    """The hash line from ``path`` or ``$CREDENTIALS_DIRECTORY/<credential>``."""
    if credential is not None:
        folder = os.environ.get("CREDENTIALS_DIRECTORY")
        if not folder:
            raise ConfigError(
                f"--password-credential {credential!r}: $CREDENTIALS_DIRECTORY is not set "
                "(expected LoadCredential= in the service)"
            )
        path = Path(folder) / credential
    if path is None:
        raise ConfigError("no password hash given")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"password hash file {path}: cannot read ({exc.strerror})") from None
    parts = text.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        raise ConfigError(
            f"password hash file {path}: expected one line pbkdf2_sha256$<iterations>$<salt>$<hash>"
            " (thermoseg-edge dashboard --hash-password makes it)"
        )
    return text


class PasswordCheck:
    """Checks ``Authorization: Basic`` headers against one hash (any user name)."""

    def __init__(self, hashed: str) -> None:
        _, iterations, salt, digest = hashed.split("$")
        self._iterations = int(iterations)
        self._salt = bytes.fromhex(salt)
        self._digest = bytes.fromhex(digest)
        self._good: set[bytes] = set()  # headers already verified: PBKDF2 once, not per request

    def user(self, header: str | None) -> str | None:
        """The user name when the header carries the right password, else None."""
        if not header or not header.startswith("Basic "):
            return None
        raw = header[6:].encode()
        key = hashlib.sha256(raw).digest()
        try:
            user, _, password = base64.b64decode(raw, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if key in self._good:
            return user
        candidate = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), self._salt, self._iterations
        )
        if hmac.compare_digest(candidate, self._digest):
            if len(self._good) < 64:
                self._good.add(key)
            return user
        return None
