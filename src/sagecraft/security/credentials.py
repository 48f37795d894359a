"""Access keys the server accepts, and the principals they stand for."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sagecraft.core.context import Principal


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret_access_key: str
    principal: Principal
    session_token: str | None = None
    expiration: dt.datetime | None = None

    def expired(self, now: dt.datetime | None = None) -> bool:
        if self.expiration is None:
            return False
        return (now or dt.datetime.now(dt.timezone.utc)) >= self.expiration


class CredentialStore(Protocol):
    def lookup(self, access_key_id: str) -> Credential | None: ...


class StaticCredentials:
    """Long-lived keys known at start-up (the admin key pair)."""

    def __init__(self, credentials: Iterable[Credential]) -> None:
        self._by_key = {c.access_key_id: c for c in credentials}

    def lookup(self, access_key_id: str) -> Credential | None:
        return self._by_key.get(access_key_id)


class ChainedCredentials:
    def __init__(self, stores: Iterable[CredentialStore]) -> None:
        self._stores = list(stores)

    def lookup(self, access_key_id: str) -> Credential | None:
        for store in self._stores:
            found = store.lookup(access_key_id)
            if found is not None:
                return found
        return None


_KEY_ALPHABET = string.ascii_uppercase + string.digits


def new_access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(secrets.choice(alphabet) for _ in range(40))
