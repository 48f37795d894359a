"""KMS grants enforced: a grant lets its grantee run its operations on its key without any policy,
its encryption context constraints hold for the cryptographic operations, an explicit Deny still
wins, and grants are listed, revoked and retired as KMS does."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.api.kms.test_kms_key_policies import ACCOUNT, client_as, code, user

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def denied(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return code(excinfo)


def test_a_grant_allows_its_operations_until_revoked(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]
    grantee_arn, grantee_key = user(iam)  # no IAM policy at all
    grantee = client_as(server, grantee_key)
    assert denied(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"

    made = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee_arn,
        Name="reader",
        Operations=["Encrypt", "Decrypt", "DescribeKey"],
    )
    blob = grantee.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert grantee.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert grantee.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert denied(grantee.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == "AccessDeniedException"

    (listed,) = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert listed["GrantId"] == made["GrantId"] and listed["GranteePrincipal"] == grantee_arn
    assert listed["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root" and listed["KeyId"] == key["Arn"]
    assert sorted(listed["Operations"]) == ["Decrypt", "DescribeKey", "Encrypt"] and "Constraints" not in listed
    assert kms.list_grants(KeyId=key["KeyId"], GranteePrincipal="arn:aws:iam::000000000000:user/x")["Grants"] == []
    # The same name and parameters: the same grant (CreateGrant is idempotent).
    again = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee_arn,
        Name="reader",
        Operations=["Decrypt", "Encrypt", "DescribeKey"],
    )
    assert again["GrantId"] == made["GrantId"]

    kms.revoke_grant(KeyId=key["KeyId"], GrantId=made["GrantId"])
    assert denied(grantee.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    assert denied(kms.revoke_grant, KeyId=key["KeyId"], GrantId=made["GrantId"]) == "NotFoundException"
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_constraints_hold_for_cryptographic_operations_only(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee_arn, grantee_key = user(iam)
    grantee = client_as(server, grantee_key)
    kms.create_grant(
        KeyId=key,
        GranteePrincipal=grantee_arn,
        Operations=["Encrypt", "DescribeKey"],
        Constraints={"EncryptionContextSubset": {"Project": "alpha"}},
    )
    # Constraint keys are matched case-insensitively, values exactly; more pairs may be present.
    grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"project": "alpha", "stage": "dev"})
    for context in ({"project": "beta"}, {"project": "ALPHA"}, {}):
        assert denied(grantee.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext=context) == "AccessDeniedException"
    grantee.describe_key(KeyId=key)  # DescribeKey carries no context: the constraint does not apply

    equals_arn, equals_key = user(iam)
    exact = client_as(server, equals_key)
    kms.create_grant(
        KeyId=key,
        GranteePrincipal=equals_arn,
        Operations=["Encrypt"],
        Constraints={"EncryptionContextEquals": {"project": "alpha"}},
    )
    exact.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"project": "alpha"})
    extra = {"project": "alpha", "stage": "dev"}
    assert denied(exact.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext=extra) == "AccessDeniedException"
    (listed,) = kms.list_grants(KeyId=key, GranteePrincipal=equals_arn)["Grants"]
    assert listed["Constraints"] == {"EncryptionContextEquals": {"project": "alpha"}}


def test_an_explicit_deny_beats_a_grant(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee_arn, grantee_key = user(iam, {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"})
    kms.create_grant(KeyId=key, GranteePrincipal=grantee_arn, Operations=["Encrypt"])
    with pytest.raises(ClientError) as excinfo:
        client_as(server, grantee_key).encrypt(KeyId=key, Plaintext=b"x")
    assert "explicit deny" in excinfo.value.response["Error"]["Message"]


def test_a_grant_with_create_grant_cannot_escalate(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    admin_arn, admin_key = user(iam)
    other_arn, _ = user(iam)
    delegate = client_as(server, admin_key)
    kms.create_grant(
        KeyId=key,
        GranteePrincipal=admin_arn,
        Operations=["Encrypt", "CreateGrant"],
        Constraints={"EncryptionContextSubset": {"team": "a"}},
    )
    assert (
        denied(
            delegate.create_grant,
            KeyId=key,
            GranteePrincipal=other_arn,
            Operations=["Decrypt"],
            Constraints={"EncryptionContextSubset": {"team": "a"}},
        )
        == "AccessDeniedException"
    )
    assert (
        denied(delegate.create_grant, KeyId=key, GranteePrincipal=other_arn, Operations=["Encrypt"])
        == "AccessDeniedException"
    )  # looser: no constraint
    delegate.create_grant(
        KeyId=key,
        GranteePrincipal=other_arn,
        Operations=["Encrypt"],
        Constraints={"EncryptionContextSubset": {"team": "a", "env": "prod"}},
    )


def test_retire_grants_by_token_or_id(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]
    retiring_arn, retiring_key = user(iam)
    grantee_arn, grantee_key = user(iam)
    _, stranger_key = user(iam, {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    first = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee_arn, RetiringPrincipal=retiring_arn, Operations=["Encrypt"]
    )
    second = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee_arn, Operations=["Encrypt", "RetireGrant"])

    retirable = kms.list_retirable_grants(RetiringPrincipal=retiring_arn)["Grants"]
    assert [g["GrantId"] for g in retirable] == [first["GrantId"]]
    stranger = client_as(server, stranger_key)
    assert denied(stranger.retire_grant, GrantToken=first["GrantToken"]) == "AccessDeniedException"
    assert denied(stranger.retire_grant, GrantToken="bm90IGEgdG9rZW4") == "InvalidGrantTokenException"
    client_as(server, retiring_key).retire_grant(GrantToken=first["GrantToken"])
    # The grantee retires a grant that includes RetireGrant, named by its key ARN and id.
    client_as(server, grantee_key).retire_grant(KeyId=key["Arn"], GrantId=second["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert denied(client_as(server, grantee_key).encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"


def test_grant_requests_are_validated(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = f"arn:aws:iam::{ACCOUNT}:user/nobody-{uuid.uuid4().hex[:6]}"
    assert denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Sign"]) == "ValidationException"
    assert (
        denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"], DryRun=True)
        == "DryRunOperationException"
    )
    assert kms.list_grants(KeyId=key)["Grants"] == []
    assert (
        denied(kms.create_grant, KeyId=str(uuid.uuid4()), GranteePrincipal=grantee, Operations=["Encrypt"])
        == "NotFoundException"
    )
    kms.disable_key(KeyId=key)
    assert denied(kms.create_grant, KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"]) == (
        "DisabledException"
    )
