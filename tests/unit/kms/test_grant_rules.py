"""Grant constraints and KMS's request context, as KMS documents them."""

from __future__ import annotations

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.iam.kms_actions import kms_checks
from sagecraft.services.kms.grants import _validated, constraints_hold, role_of
from sagecraft.services.kms.models import Blob

ACCOUNT = "111122223333"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


def context(encryption_context: dict[str, str]) -> dict[str, list[str]]:
    ((_, _, keys),) = kms_checks(
        "Encrypt", {"KeyId": KEY, "EncryptionContext": encryption_context}, "us-east-1", ACCOUNT
    )
    return keys


@pytest.mark.parametrize(
    ("constraints", "request_context", "holds"),
    [
        ({}, {}, True),
        ({"EncryptionContextSubset": {"Dept": "IT"}}, {"dept": "IT", "x": "y"}, True),
        ({"EncryptionContextSubset": {"Dept": "IT"}}, {"dept": "it"}, False),  # values are case-sensitive
        ({"EncryptionContextSubset": {"Dept": "IT"}}, {}, False),
        ({"EncryptionContextEquals": {"Dept": "IT"}}, {"DEPT": "IT"}, True),
        ({"EncryptionContextEquals": {"Dept": "IT"}}, {"Dept": "IT", "x": "y"}, False),
        ({"EncryptionContextEquals": {"Dept": "IT"}}, {}, False),
    ],
)
def test_constraints(constraints, request_context, holds):
    assert constraints_hold(constraints, context(request_context)) is holds


def test_request_context_keys():
    keys = context({"Purpose": "train"})
    assert keys["kms:calleraccount"] == [ACCOUNT]
    assert keys["kms:encryptioncontext:purpose"] == ["train"]
    assert keys["kms:encryptioncontextkeys"] == ["Purpose"]


def test_re_encrypt_is_two_checks():
    blob = Blob(KEY, 0, b"sealed").encode()
    other = "abcd1234-12ab-34cd-56ef-1234567890ab"
    checks = kms_checks(
        "ReEncrypt",
        {"CiphertextBlob": blob, "DestinationKeyId": other, "DestinationEncryptionContext": {"a": "b"}},
        "us-east-1",
        ACCOUNT,
    )
    assert [(action, resource.rsplit("/", 1)[-1]) for action, resource, _ in checks] == [
        ("kms:ReEncryptFrom", KEY),
        ("kms:ReEncryptTo", other),
    ]
    assert checks[1][2]["kms:encryptioncontext:a"] == ["b"]


def test_retire_grant_needs_no_policy_and_create_grant_carries_its_grant():
    assert kms_checks("RetireGrant", {"GrantToken": "t"}, "us-east-1", ACCOUNT) == []
    ((action, _, keys),) = kms_checks(
        "CreateGrant",
        {
            "KeyId": KEY,
            "GranteePrincipal": "arn:aws:iam::111122223333:user/a",
            "Operations": ["Decrypt"],
            "Constraints": {"EncryptionContextSubset": {"k": "v"}},
        },
        "us-east-1",
        ACCOUNT,
    )
    assert action == "kms:CreateGrant" and keys["kms:grantoperations"] == ["Decrypt"]
    assert keys["kms:grantconstrainttype"] == ["EncryptionContextSubset"]
    assert keys["kms:encryptioncontext:k"] == ["v"]


def test_grant_validation():
    with pytest.raises(ValidationException):
        _validated([], None)
    with pytest.raises(ValidationException):
        _validated(["Sign"], None)
    with pytest.raises(ValidationException):
        _validated(["Decrypt"], {"EncryptionContextSubset": {str(i): "v" for i in range(9)}})
    assert _validated(["Decrypt"], {"EncryptionContextSubset": {}}) == {}


def test_role_of_a_session():
    assert role_of("arn:aws:sts::111122223333:assumed-role/Reader/s1") == "arn:aws:iam::111122223333:role/Reader"
    assert role_of("arn:aws:iam::111122223333:user/a") is None
