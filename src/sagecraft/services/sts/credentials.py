"""The gateway's view of AssumeRole credentials: a CredentialStore over the metadata store.

Issued credentials never change, so found ones are cached (bounded, LRU) and every request after
the first skips the database. Unknown keys are not cached: another server process sharing the
database may have just issued them."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sagecraft.core.context import Principal
from sagecraft.security.credentials import Credential
from sagecraft.services.sts.models import TemporaryCredentials
from sagecraft.services.sts.service import StsService

TEMPORARY_KEY_PREFIX = "ASIA"


class TemporaryCredentialStore:
    def __init__(self, service: StsService, max_cached: int = 4096) -> None:
        self._service = service
        self._max_cached = max_cached
        self._cache: OrderedDict[str, Credential] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, access_key_id: str) -> Credential | None:
        if not access_key_id.startswith(TEMPORARY_KEY_PREFIX):
            return None  # long-lived keys are not ours: spare the database
        with self._lock:
            cached = self._cache.get(access_key_id)
            if cached is not None:
                self._cache.move_to_end(access_key_id)
                return cached
        issued = self._service.find(access_key_id)
        if issued is None:
            return None
        credential = to_credential(issued)
        with self._lock:
            self._cache[access_key_id] = credential
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
        return credential


def to_credential(issued: TemporaryCredentials) -> Credential:
    principal = Principal(
        access_key_id=issued.access_key_id,
        arn=issued.arn,
        user_id=issued.assumed_role_id,
        account_id=issued.account_id,
        session_token=issued.session_token,
    )
    return Credential(
        access_key_id=issued.access_key_id,
        secret_access_key=issued.secret_access_key,
        principal=principal,
        session_token=issued.session_token,
        expiration=issued.expiration,
    )
