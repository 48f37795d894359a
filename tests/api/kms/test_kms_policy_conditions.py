"""KMS's condition keys (kms:CallerAccount, kms:ViaService, kms:EncryptionContext:…) in key policies
and IAM policies, and the key policy lockout safety check of CreateKey / PutKeyPolicy."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.api.kms.test_kms_key_policies import ACCOUNT, ROOT, client_as, code, policy, user
from tests.support.server import REGION

pytestmark = pytest.mark.slow

ACCOUNT_STATEMENT = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return code(excinfo), excinfo.value.response["Error"]["Message"]


def test_create_key_refuses_a_policy_that_locks_its_author_out(server, kms, iam):
    someone_arn, _ = user(iam)
    locking = policy({"Effect": "Allow", "Principal": {"AWS": someone_arn}, "Action": "kms:*", "Resource": "*"})
    before = len(kms.list_keys(Limit=1000)["Keys"])
    assert error(kms.create_key, Policy=locking) == ("MalformedPolicyDocumentException", LOCKOUT)
    assert len(kms.list_keys(Limit=1000)["Keys"]) == before  # nothing made
    kms.create_key(Policy=locking, BypassPolicyLockoutSafetyCheck=True)


def test_put_key_policy_refuses_a_lockout_and_changes_nothing(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    original = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    encrypt_only = policy({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Encrypt", "Resource": "*"})
    assert error(kms.put_key_policy, KeyId=key, PolicyName="default", Policy=encrypt_only) == (
        "MalformedPolicyDocumentException",
        LOCKOUT,
    )
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == original

    # A user whose IAM policy lets it manage the key: a policy naming only others locks it out …
    admin_arn, admin_key = user(iam, {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    admin = client_as(server, admin_key)
    others = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/x"}, "Action": "kms:*", "Resource": "*"}
    )
    assert error(admin.put_key_policy, KeyId=key, PolicyName="default", Policy=others)[0] == (
        "MalformedPolicyDocumentException"
    )
    # … one that names it for PutKeyPolicy does not.
    keeps_admin = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": admin_arn},
            "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy"],
            "Resource": "*",
        }
    )
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=keeps_admin)
    assert json.loads(admin.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == json.loads(keeps_admin)
    # The root is now locked out of this key, as in AWS.
    assert error(kms.get_key_policy, KeyId=key, PolicyName="default")[0] == "AccessDeniedException"


def test_caller_account_in_a_key_policy(server, kms, iam):
    _, caller_key = user(iam)  # no IAM policy: only the key policy can allow it
    caller = client_as(server, caller_key)

    def key_for(account: str) -> str:
        return kms.create_key(
            Policy=policy(
                ACCOUNT_STATEMENT,
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:Encrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": account}},
                },
            )
        )["KeyMetadata"]["KeyId"]

    caller.encrypt(KeyId=key_for(ACCOUNT), Plaintext=b"x")
    assert error(caller.encrypt, KeyId=key_for("111122223333"), Plaintext=b"x")[0] == "AccessDeniedException"


def test_encryption_context_in_an_iam_policy(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    _, caller_key = user(
        iam,
        {
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "training"}},
        },
    )
    caller = client_as(server, caller_key)
    blob = caller.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"purpose": "training"})["CiphertextBlob"]
    assert caller.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "training"})["Plaintext"] == b"x"
    for context in ({"purpose": "serving"}, {}):
        assert error(caller.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext=context)[0] == (
            "AccessDeniedException"
        )


def test_via_service_lets_a_key_be_used_only_through_s3(server, kms, iam):
    s3 = server.client("s3")
    bucket = f"via-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    user_arn, user_key = user(iam, {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"})
    key = kms.create_key(
        Policy=policy(
            ACCOUNT_STATEMENT,
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}/allowed/*"},
                },
            },
        )
    )
    key_id = key["KeyMetadata"]["KeyId"]
    as_user = client_as(server, user_key, "s3")
    as_user.put_object(
        Bucket=bucket, Key="allowed/doc", Body=b"via s3", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id
    )
    assert as_user.get_object(Bucket=bucket, Key="allowed/doc")["Body"].read() == b"via s3"
    assert (
        error(
            as_user.put_object,
            Bucket=bucket,
            Key="elsewhere/doc",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key_id,
        )[0]
        == "AccessDenied"
    )  # the object's ARN is the encryption context
    direct = client_as(server, user_key)
    assert error(direct.generate_data_key, KeyId=key_id, KeySpec="AES_256")[0] == "AccessDeniedException"


def test_the_aws_s3_key_is_usable_through_s3_only(server, kms, iam):
    s3 = server.client("s3")
    bucket = f"awss3-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    _, user_key = user(iam, {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"})
    as_user = client_as(server, user_key, "s3")
    written = as_user.put_object(Bucket=bucket, Key="doc", Body=b"default key", ServerSideEncryption="aws:kms")
    assert as_user.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"default key"
    key_arn = written["SSEKMSKeyId"]
    aws_policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    assert aws_policy["Statement"][0]["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
    }
    assert error(client_as(server, user_key).encrypt, KeyId=key_arn, Plaintext=b"x")[0] == "AccessDeniedException"
