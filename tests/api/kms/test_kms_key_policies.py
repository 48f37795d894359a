"""Key policies enforced as KMS enforces them: the default policy hands the key to the account's IAM
policies; a policy naming a principal grants it without IAM; without the key policy's consent
nobody — the account root included — may use the key; a Deny in it binds everyone."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import REGION

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def user(iam, *statements: dict) -> tuple[str, dict]:
    name = f"kp-{uuid.uuid4().hex[:8]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(
            UserName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    return arn, iam.create_access_key(UserName=name)["AccessKey"]


def client_as(server, key: dict, service: str = "kms"):
    return boto3.client(
        service,
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


KMS_USE = {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}


def test_default_key_policy_defers_to_iam(server, kms, iam):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    _, allowed = user(iam, KMS_USE)
    _, nobody = user(iam)
    blob = client_as(server, allowed).encrypt(KeyId=key, Plaintext=b"hi")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        client_as(server, nobody).decrypt(CiphertextBlob=blob)
    assert code(excinfo) == "AccessDeniedException"


def test_key_policy_without_the_account_binds_iam_and_root(server, kms, iam):
    direct_arn, direct = user(iam)  # no IAM policy at all: the key policy alone grants it
    _, iam_only = user(iam, KMS_USE)
    key = kms.create_key(
        BypassPolicyLockoutSafetyCheck=True,
        Policy=policy(
            {
                "Sid": "direct",
                "Effect": "Allow",
                "Principal": {"AWS": direct_arn},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
            }
        ),
    )["KeyMetadata"]
    blob = client_as(server, direct).encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert client_as(server, direct).decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with pytest.raises(ClientError) as excinfo:
        client_as(server, iam_only).encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(excinfo) == "AccessDeniedException"
    assert "no resource-based policy allows the kms:Encrypt action" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")  # the account root too
    assert code(excinfo) == "AccessDeniedException"


def test_key_policy_deny_wins_and_aliases_resolve_to_the_key(server, kms, iam):
    denied_arn, denied = user(iam, KMS_USE)
    _, other = user(iam, KMS_USE)
    key = kms.create_key(
        Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": denied_arn}, "Action": "kms:Encrypt", "Resource": "*"},
        )
    )["KeyMetadata"]
    alias = f"alias/kp-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert client_as(server, other).encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] == key["Arn"]
    for key_ref in (key["KeyId"], alias):
        with pytest.raises(ClientError) as excinfo:
            client_as(server, denied).encrypt(KeyId=key_ref, Plaintext=b"x")
        assert code(excinfo) == "AccessDeniedException"
        assert "explicit deny in a resource-based policy" in excinfo.value.response["Error"]["Message"]
    # PutKeyPolicy takes effect on the next request.
    kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=policy({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}),
    )
    client_as(server, denied).encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_sse_kms_reads_follow_the_key_policy(server, kms, iam):
    s3 = server.client("s3")
    bucket = f"kp-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    reader_arn, reader = user(iam, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    key = kms.create_key(
        Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": reader_arn}, "Action": "kms:Decrypt", "Resource": "*"},
        )
    )
    key_id = key["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"for the reader", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert client_as(server, reader, "s3").get_object(Bucket=bucket, Key="doc")["Body"].read() == b"for the reader"
