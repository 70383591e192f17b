"""Ed25519 signatures of a model and its manifest (``FILE.tflite.sig`` beside the model).

The signed message binds the model's bytes and its manifest's bytes::

    b"thermoseg-model-signature/1\\n" + sha256(model).hex + b"\\n" + sha256(manifest).hex + b"\\n"

so neither can be swapped alone. Keys are raw 32-byte Ed25519 keys written as base64 text: the
public key goes into the device config (``[models] public_key``), the private key stays with the
publisher (``thermoseg-convert keygen`` / ``sign``). ``cryptography`` (the edge extra) is
imported lazily.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Any

from edge.errors import MissingExtraError, ModelError

__all__ = [
    "SIGNATURE_SUFFIX",
    "decode_key",
    "generate_keypair",
    "sign_model",
    "signature_path",
    "signing_message",
    "verify_model",
]

SIGNATURE_SUFFIX = ".sig"
_TAG = b"thermoseg-model-signature/1\n"


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingExtraError("cryptography", "edge", "model signatures") from None
    return ed25519


def signature_path(model_path: Path) -> Path:
    """``model.tflite`` -> ``model.tflite.sig``."""
    return model_path.with_name(model_path.name + SIGNATURE_SUFFIX)


def signing_message(model: bytes, manifest: bytes) -> bytes:
    """What is signed: both files' sha256 behind a version tag."""
    return (
        _TAG
        + hashlib.sha256(model).hexdigest().encode()
        + b"\n"
        + hashlib.sha256(manifest).hexdigest().encode()
        + b"\n"
    )


def decode_key(text: str, what: str) -> bytes:
    """A base64 raw 32-byte key; ModelError naming ``what`` otherwise."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ModelError(f"{what}: expected a base64 raw Ed25519 key (32 bytes)")
    return raw


def generate_keypair() -> tuple[str, str]:
    """A fresh (private, public) Ed25519 key pair as base64 text."""
    from cryptography.hazmat.primitives import serialization

    key = _ed25519().Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    private = key.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def sign_model(model_path: Path, manifest_path: Path, private_key: str) -> Path:
    """Write ``model_path.sig`` (base64 signature) and return its path."""
    key = _ed25519().Ed25519PrivateKey.from_private_bytes(decode_key(private_key, "private key"))
    message = signing_message(model_path.read_bytes(), manifest_path.read_bytes())
    out = signature_path(model_path)
    out.write_text(base64.b64encode(key.sign(message)).decode() + "\n", encoding="utf-8")
    return out


def verify_model(model: bytes, manifest: bytes, signature_file: Path, public_key: str) -> None:
    """ModelError unless ``signature_file`` is a valid signature by ``public_key``."""
    from cryptography.exceptions import InvalidSignature

    ed25519 = _ed25519()
    key = ed25519.Ed25519PublicKey.from_public_bytes(decode_key(public_key, "models.public_key"))
    try:
        text = signature_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(
            f"{signature_file}: signature missing; models.public_key is set, so every model "
            "must be signed (thermoseg-convert sign)"
        ) from None
    try:
        signature = base64.b64decode(text.strip(), validate=True)
        key.verify(signature, signing_message(model, manifest))
    except (binascii.Error, ValueError, InvalidSignature):
        raise ModelError(
            f"{signature_file}: the signature does not match this model and manifest for "
            "models.public_key (tampered, or signed by another key)"
        ) from None
