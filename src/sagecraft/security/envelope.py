"""Envelope encryption with AES-256-GCM: key material wrapped by a master key, data sealed by key
material. The master key is 32 random bytes in a 0600 file under the home (made at first use), or
given by SAGECRAFT_KMS_MASTER_KEY_FILE."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class TamperedError(Exception):
    """The ciphertext, its associated data or the key do not match: it was altered or is not ours."""


def load_master_key(path: Path) -> bytes:
    path = Path(os.environ.get("SAGECRAFT_KMS_MASTER_KEY_FILE") or path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
        os.replace(temporary, path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"the KMS master key {path} must hold exactly {KEY_BYTES} bytes")
    return key


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """nonce ‖ ciphertext ‖ tag."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise TamperedError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except InvalidTag:
        raise TamperedError("authentication failed") from None
