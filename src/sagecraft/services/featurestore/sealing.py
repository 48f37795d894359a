"""Encryption at rest of online records (``OnlineStoreConfig.SecurityConfig.KmsKeyId``).

At CreateFeatureGroup an AES-256 data key is generated from the group's KMS key (GenerateDataKey,
with the group's ARN as encryption context) and its ciphertext is kept in the group's stored request.
Each record's values (and its offline journal row, which waits in the same file) are sealed with
AES-GCM under that data key, bound to the group incarnation; reads unseal. The data key is decrypted
once and cached; each use still asks whether the KMS key is usable, so a disabled key, or one pending
deletion, stops writes and reads as it would in SageMaker."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from sagecraft.core.errors import ClientError, ValidationException
from sagecraft.security import envelope

SEALED = "sagecraft:sealed"  # the one member of a sealed values dict or journal row
DATA_KEY = "SagecraftOnlineDataKey"  # in the stored request: {"KeyId": arn, "CiphertextBlob": b64}


class KmsKey(Protocol):
    key_id: str
    arn: str


class DataKeys(Protocol):
    def key(self, account_id: str, region: str, key_ref: str) -> Any: ...

    def generate(self, key: Any, context: dict[str, str]) -> tuple[bytes, bytes]: ...

    def decrypt(self, account_id: str, blob: bytes, context: dict[str, str]) -> bytes: ...

    def check_usable(self, key_id: str) -> None: ...


class KmsAccessForbidden(ClientError):
    """The runtime's answer when the group's KMS key refuses (its code names KMS's reason)."""

    code = "AccessForbidden"
    status = 403


def online_kms_key(request: Mapping[str, Any]) -> str | None:
    return ((request.get("OnlineStoreConfig") or {}).get("SecurityConfig") or {}).get("KmsKeyId")


def offline_kms_key(request: Mapping[str, Any]) -> str | None:
    return ((request.get("OfflineStoreConfig") or {}).get("S3StorageConfig") or {}).get("KmsKeyId")


class RecordSealer:
    def __init__(self, data_keys: DataKeys | None) -> None:
        self.data_keys = data_keys
        self._opened: dict[str, bytes] = {}  # by ciphertext blob: the data key, decrypted once
        self._lock = threading.Lock()

    # --- CreateFeatureGroup ----------------------------------------------------------------------
    def prepare(self, account_id: str, region: str, arn: str, stored: dict[str, Any]) -> None:
        """Checks the KMS keys a CreateFeatureGroup names exist; adds the online data key to ``stored``."""
        for key_ref in (offline_kms_key(stored), online_kms_key(stored)):
            if key_ref:
                self._key(account_id, region, key_ref)
        key_ref = online_kms_key(stored)
        if not key_ref:
            return
        key = self._key(account_id, region, key_ref)
        try:
            _, blob = self.data_keys.generate(key, {"aws:sagemaker:feature-group-arn": arn})  # type: ignore[union-attr]
        except ClientError as error:
            raise ValidationException(f"The KMS key {key_ref} cannot be used: {error.message}") from None
        stored[DATA_KEY] = {"KeyId": key.arn, "CiphertextBlob": base64.b64encode(blob).decode()}

    def _key(self, account_id: str, region: str, key_ref: str) -> Any:
        if self.data_keys is None:
            raise ValidationException("KmsKeyId is not supported by Sagecraft yet: KMS is not available.")
        try:
            return self.data_keys.key(account_id, region, key_ref)
        except ClientError as error:
            raise ValidationException(
                f"Invalid KmsKeyId {key_ref}: the KMS key does not exist or is not accessible ({error.message})"
            ) from None

    # --- records ---------------------------------------------------------------------------------
    def _data_key(self, account_id: str, arn: str, request: Mapping[str, Any]) -> bytes:
        entry = request[DATA_KEY]
        try:
            self.data_keys.check_usable(entry["KeyId"].rsplit("key/", 1)[-1])  # type: ignore[union-attr]
            with self._lock:
                cached = self._opened.get(entry["CiphertextBlob"])
            if cached is not None:
                return cached
            blob = base64.b64decode(entry["CiphertextBlob"])
            opened = self.data_keys.decrypt(account_id, blob, {"aws:sagemaker:feature-group-arn": arn})  # type: ignore[union-attr]
        except ClientError as error:
            raise KmsAccessForbidden(
                f"The KMS key {entry['KeyId']} of FeatureGroup {arn.rsplit('/', 1)[-1]} cannot be used: "
                f"{error.message} (KMS.{error.code})"
            ) from None
        with self._lock:
            self._opened[entry["CiphertextBlob"]] = opened
        return opened

    def check(self, group: Any) -> None:
        """Raises when the group's KMS key cannot be used (reads check before touching the store)."""
        if DATA_KEY in group.request:
            self._data_key(group.account_id, group.arn, group.request)

    def seal(self, group: Any, payload: Any) -> Any:
        """``payload`` (values dict or journal row) as stored: sealed when the group has a key."""
        if payload is None or DATA_KEY not in group.request:
            return payload
        data_key = self._data_key(group.account_id, group.arn, group.request)
        plaintext = json.dumps(payload).encode()
        sealed = envelope.seal(data_key, plaintext, group.store_key.encode())
        return {SEALED: base64.b64encode(sealed).decode()}

    def open(self, group: Any, stored: Any) -> Any:
        if not isinstance(stored, dict) or SEALED not in stored:
            return stored
        data_key = self._data_key(group.account_id, group.arn, group.request)
        try:
            plaintext = envelope.open_sealed(data_key, base64.b64decode(stored[SEALED]), group.store_key.encode())
        except envelope.TamperedError:
            raise ClientError("A stored record does not authenticate.", code="InternalFailure", status=500) from None
        return json.loads(plaintext)
