"""Data keys for another service's encryption at rest (the feature store's online records): made with
GenerateDataKey semantics from a customer's KMS key and opened with Decrypt. A caller that keeps the
unwrapped data key in memory still asks, on each use, whether its KMS key is usable; key states are
cached here and dropped whenever KMS changes a key's state, so that check costs no database read."""

from __future__ import annotations

import threading

from sagecraft.services.kms.models import Key
from sagecraft.services.kms.service import KmsService


class ServiceDataKeys:
    def __init__(self, kms: KmsService) -> None:
        self.kms = kms
        self._keys: dict[str, Key] = {}
        self._lock = threading.Lock()
        self._generation = 0  # a state change during a lookup leaves that lookup uncached
        kms.state_changed.append(self._forget)

    def _forget(self, key_id: str) -> None:
        with self._lock:
            self._keys.pop(key_id, None)
            self._generation += 1

    def key(self, account_id: str, region: str, key_ref: str) -> Key:
        """The key a request names (id, key ARN, alias or alias ARN); NotFoundException when none."""
        if key_ref.startswith("arn:"):
            region = key_ref.split(":")[3]
        return self.kms.resolve(account_id, region, key_ref)

    def generate(self, key: Key, context: dict[str, str]) -> tuple[bytes, bytes]:
        """(plaintext AES-256 data key, its ciphertext blob under ``key``)."""
        return self.kms.generate_data_key(key, context, None, "AES_256")

    def decrypt(self, account_id: str, blob: bytes, context: dict[str, str]) -> bytes:
        return self.kms.decrypt(account_id, blob, context)[1]

    def check_usable(self, key_id: str) -> None:
        """Raises KMS's DisabledException / KMSInvalidStateException / NotFoundException."""
        with self._lock:
            key, generation = self._keys.get(key_id), self._generation
        if key is None:
            key = self.kms.find(key_id)
            with self._lock:
                if generation == self._generation:
                    self._keys[key_id] = key
        self.kms.check_usable(key)
