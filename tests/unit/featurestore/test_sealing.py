"""The online record sealer: one data key decrypted once per group, values bound to the incarnation,
KMS refusals reported as the runtime's AccessForbidden."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sagecraft.core.errors import ClientError, ValidationException
from sagecraft.security import envelope
from sagecraft.services.featurestore.sealing import DATA_KEY, SEALED, KmsAccessForbidden, RecordSealer

ARN = "arn:aws:sagemaker:us-east-1:000000000000:feature-group/g"
KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/11111111-1111-4111-8111-111111111111"


@dataclass
class Key:
    key_id: str = KEY_ARN.rsplit("/", 1)[-1]
    arn: str = KEY_ARN


@dataclass
class FakeDataKeys:
    """Wraps with a fixed key; counts decrypts; refuses when told to."""

    wrapping: bytes = field(default_factory=envelope.new_key)
    decrypts: int = 0
    refusal: ClientError | None = None

    def key(self, account_id, region, key_ref):
        if key_ref not in (KEY_ARN, Key.key_id):
            raise ClientError(f"Key '{key_ref}' does not exist", code="NotFoundException")
        return Key()

    def generate(self, key, context):
        data_key = envelope.new_key()
        return data_key, envelope.seal(self.wrapping, data_key, str(context).encode())

    def decrypt(self, account_id, blob, context):
        self.decrypts += 1
        return envelope.open_sealed(self.wrapping, blob, str(context).encode())

    def check_usable(self, key_id):
        if self.refusal is not None:
            raise self.refusal


@dataclass
class Group:
    request: dict
    account_id: str = "000000000000"
    arn: str = ARN
    store_key: str = f"{ARN}#1"


def sealed_group(keys: FakeDataKeys) -> Group:
    request = {"OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY_ARN}}}
    RecordSealer(keys).prepare("000000000000", "us-east-1", ARN, request)
    return Group(request)


def test_values_round_trip_and_the_data_key_is_decrypted_once():
    keys = FakeDataKeys()
    group, sealer = sealed_group(keys), RecordSealer(keys)
    values = {"id": "a", "s": "secret"}
    stored = [sealer.seal(group, values) for _ in range(3)]
    assert all(set(s) == {SEALED} and "secret" not in s[SEALED] for s in stored)
    assert [sealer.open(group, s) for s in stored] == [values] * 3
    assert keys.decrypts == 1


def test_a_sealed_value_opens_only_for_its_incarnation():
    keys = FakeDataKeys()
    group, sealer = sealed_group(keys), RecordSealer(keys)
    stored = sealer.seal(group, {"s": "x"})
    later = Group(group.request, store_key=f"{ARN}#2")
    with pytest.raises(ClientError, match="does not authenticate"):
        sealer.open(later, stored)


def test_a_refusing_key_is_access_forbidden_naming_kms_reason():
    keys = FakeDataKeys()
    group, sealer = sealed_group(keys), RecordSealer(keys)
    keys.refusal = ClientError(f"{KEY_ARN} is disabled.", code="DisabledException")
    with pytest.raises(KmsAccessForbidden, match=r"is disabled\. \(KMS\.DisabledException\)"):
        sealer.seal(group, {"s": "x"})


def test_groups_without_a_key_pass_through_and_missing_keys_fail_create():
    sealer = RecordSealer(FakeDataKeys())
    plain = Group({"OnlineStoreConfig": {"EnableOnlineStore": True}})
    assert sealer.seal(plain, {"s": "x"}) == {"s": "x"}
    request = {"OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://b", "KmsKeyId": "alias/none"}}}
    with pytest.raises(ValidationException, match="alias/none"):
        sealer.prepare("000000000000", "us-east-1", ARN, request)
    assert DATA_KEY not in request
