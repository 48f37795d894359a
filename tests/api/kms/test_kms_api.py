"""KMS through boto3: keys, aliases, envelope encryption, state changes, tampering, rotation."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_encrypt_decrypt_with_context(kms):
    key = kms.create_key(Description="models")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext={"purpose": "test"})
    assert blob["KeyId"] == key["Arn"] and b"secret" not in blob["CiphertextBlob"]
    plain = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"purpose": "test"})
    assert plain["Plaintext"] == b"secret" and plain["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"purpose": "other"})
    assert code(excinfo) == "InvalidCiphertextException"
    tampered = bytearray(blob["CiphertextBlob"])
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext={"purpose": "test"})
    assert code(excinfo) == "InvalidCiphertextException"


def test_aliases_data_keys_and_reencrypt(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = f"alias/team-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=first)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == first
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName=alias, TargetKeyId=second)
    assert code(excinfo) == "AlreadyExistsException"
    data_key = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    moved = kms.re_encrypt(CiphertextBlob=data_key["CiphertextBlob"], DestinationKeyId=second)
    assert moved["SourceKeyId"].endswith(first) and moved["KeyId"].endswith(second)
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    without = kms.generate_data_key_without_plaintext(KeyId=first, NumberOfBytes=16)
    assert "Plaintext" not in without
    assert alias in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    listed = kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]
    assert {first, second} <= {k["KeyId"] for k in listed}


def test_disabled_and_pending_deletion_keys_refuse_to_work(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert code(excinfo) == "DisabledException"
    kms.enable_key(KeyId=key)
    scheduled = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert code(excinfo) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"


def test_rotation_keeps_old_ciphertexts_readable(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    old = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    kms.rotate_key_on_demand(KeyId=key)
    new = kms.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"


def test_errors(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=str(uuid.uuid4()))
    assert code(excinfo) == "NotFoundException"
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=b"not a ciphertext at all, not at all")
    assert code(excinfo) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Policy='{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}')
    assert code(excinfo) == "MalformedPolicyDocumentException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    assert code(excinfo) == "InvalidAliasNameException"


def test_master_key_file_is_private(server):
    path = server.home / "kms-master.key"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
