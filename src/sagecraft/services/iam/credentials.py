"""The gateway's view of IAM users' access keys: a CredentialStore over the metadata store.

Found keys are cached briefly and dropped on any IAM change, so a deleted or deactivated key stops
working at once on this server (and within seconds on another one sharing the database)."""

from __future__ import annotations

import threading
import time

from sagecraft.core.context import Principal
from sagecraft.security.credentials import Credential
from sagecraft.services.iam.service import IamService

CACHE_SECONDS = 5.0
LONG_TERM_KEY_PREFIX = "AKIA"


class IamUserCredentials:
    def __init__(self, iam: IamService) -> None:
        self._iam = iam
        self._cache: dict[str, tuple[float, Credential]] = {}
        self._lock = threading.Lock()
        iam.listeners.append(self.invalidate)

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def lookup(self, access_key_id: str) -> Credential | None:
        if not access_key_id.startswith(LONG_TERM_KEY_PREFIX):
            return None
        with self._lock:
            cached = self._cache.get(access_key_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        found = self._iam.find_access_key(access_key_id)
        if found is None or found[0].status != "Active":
            return None
        key, user = found
        principal = Principal(access_key_id=key.access_key_id, arn=user.arn, user_id=user.unique_id,
                              account_id=user.account_id)
        credential = Credential(key.access_key_id, key.secret_access_key, principal)
        with self._lock:
            self._cache[access_key_id] = (time.monotonic(), credential)
        return credential
