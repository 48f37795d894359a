"""Key policies as the authorizer sees them: the resource-based policy of a key ARN (or of the key
an alias ARN points to), evaluated with KMS's rules (security/policy/key_policy.py). Parsed
documents are kept by their text, so a PutKeyPolicy takes effect on the next request."""

from __future__ import annotations

import threading

from sagecraft.core.errors import ClientError
from sagecraft.security.policy import NamedPolicy, parse_policy
from sagecraft.services.kms.service import KmsService

MAX_CACHED = 1024


class KeyPolicies:
    def __init__(self, kms: KmsService) -> None:
        self.kms = kms
        self._parsed: dict[tuple[str, str], NamedPolicy] = {}
        self._lock = threading.Lock()

    def for_resource(self, resource: str) -> NamedPolicy | None:
        if not resource.startswith("arn:aws:kms:"):
            return None
        parts = resource.split(":", 5)
        if len(parts) < 6:
            return None
        region, account, name = parts[3], parts[4], parts[5]
        try:
            key = self.kms.resolve(account, region, name if name.startswith("alias/") else resource)
        except ClientError:  # no such key: the operation itself will say so
            return None
        cache_key = (key.arn, key.policy)
        with self._lock:
            named = self._parsed.get(cache_key)
        if named is None:
            named = NamedPolicy(key.arn, parse_policy(key.policy, "resource"), "key")
            with self._lock:
                if len(self._parsed) >= MAX_CACHED:
                    self._parsed.clear()
                self._parsed[cache_key] = named
        return named
