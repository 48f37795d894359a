"""KMS's domain objects and the ciphertext blob format."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sagecraft.services.kms.errors import InvalidCiphertextException

# Ciphertext blob: magic ‖ key id (16 bytes) ‖ material index (2 bytes, big endian) ‖ sealed payload.
MAGIC = b"SCK\x01"
HEADER_BYTES = len(MAGIC) + 16 + 2


@dataclass(frozen=True)
class Key:
    key_id: str
    account_id: str
    region: str
    arn: str
    description: str
    key_usage: str
    key_spec: str
    key_manager: str
    state: str
    created_at: dt.datetime
    deletion_date: dt.datetime | None
    pending_window_days: int | None
    rotation_enabled: bool
    policy: str
    materials: tuple[str, ...]  # wrapped material (base64), newest last


@dataclass(frozen=True)
class Blob:
    key_id: str
    material_index: int
    sealed: bytes

    def encode(self) -> bytes:
        return MAGIC + uuid.UUID(self.key_id).bytes + self.material_index.to_bytes(2, "big") + self.sealed

    @classmethod
    def decode(cls, data: bytes) -> Blob:
        if len(data) <= HEADER_BYTES or not data.startswith(MAGIC):
            raise InvalidCiphertextException("The ciphertext is invalid or was not produced by this KMS.")
        key_id = str(uuid.UUID(bytes=data[len(MAGIC):len(MAGIC) + 16]))
        index = int.from_bytes(data[len(MAGIC) + 16:HEADER_BYTES], "big")
        return cls(key_id, index, data[HEADER_BYTES:])


def key_id_of(blob: object) -> str | None:
    """The key a ciphertext blob names (None: not one of ours), for authorizing Decrypt by its key."""
    if not isinstance(blob, bytes | bytearray) or len(blob) <= HEADER_BYTES or not blob.startswith(MAGIC):
        return None
    return str(uuid.UUID(bytes=bytes(blob[len(MAGIC):len(MAGIC) + 16])))


def associated_data(key_id: str, encryption_context: dict[str, str] | None) -> bytes:
    """What GCM authenticates beside the payload: the key and the encryption context (order-free)."""
    return json.dumps([key_id, sorted((encryption_context or {}).items())], separators=(",", ":")).encode()


def default_key_policy(account_id: str) -> str:
    """KMS's default key policy: the account (and so IAM policies) controls the key."""
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}]})


def aws_managed_key_policy(account_id: str, region: str, service: str) -> str:
    """The policy of an AWS managed key (``aws/s3``): every principal of the account may use it
    through the service (kms:ViaService, kms:CallerAccount), and the account may read its metadata."""
    return json.dumps({"Version": "2012-10-17", "Id": f"auto-{service}-2", "Statement": [
        {"Sid": f"Allow access through {service.upper()} for all principals in the account that are authorized "
                f"to use {service.upper()}", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*", "Condition": {"StringEquals": {
             "kms:CallerAccount": account_id, "kms:ViaService": f"{service}.{region}.amazonaws.com"}}},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]})
