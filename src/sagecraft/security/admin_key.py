"""The admin key pair: written at first start to ``HOME/credentials`` (AWS INI, profile
``sagecraft``, mode 0600), or taken from SAGECRAFT_ADMIN_ACCESS_KEY_ID / _SECRET_ACCESS_KEY."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from sagecraft.security.credentials import new_access_key_id, new_secret_access_key

PROFILE = "sagecraft"


def read_admin_key(path: Path) -> tuple[str, str] | None:
    env_id = os.environ.get("SAGECRAFT_ADMIN_ACCESS_KEY_ID")
    env_secret = os.environ.get("SAGECRAFT_ADMIN_SECRET_ACCESS_KEY")
    if env_id and env_secret:
        return env_id, env_secret
    if not path.exists():
        return None
    parser = configparser.ConfigParser()
    parser.read(path)
    if not parser.has_section(PROFILE):
        return None
    section = parser[PROFILE]
    return section["aws_access_key_id"], section["aws_secret_access_key"]


def ensure_admin_key(path: Path) -> tuple[str, str]:
    """The admin key pair, creating the credentials file (0600) on first start."""
    key = read_admin_key(path)
    if key is None:
        key = (new_access_key_id(), new_secret_access_key())
    if not path.exists() or read_admin_key(path) != key:
        _write(path, key)
    return key


def _write(path: Path, key: tuple[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"[{PROFILE}]\naws_access_key_id = {key[0]}\naws_secret_access_key = {key[1]}\n"
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
