"""S3 encryption at rest through boto3: SSE-S3 and SSE-KMS per write and by the bucket's default,
bytes on disk sealed, ranged reads, multipart and copies, the caller's kms:Decrypt, key states and
tampering."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagecraft.services.s3 import sealing
from tests.api.s3.conftest import unique_bucket
from tests.support.server import REGION

MiB = 1024 * 1024


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def marked(size: int) -> tuple[bytes, bytes]:
    """A body of ``size`` bytes starting with a marker unique to this test (to look for on disk)."""
    marker = f"PLAINTEXT-{uuid.uuid4().hex}".encode()
    assert size >= len(marker)
    return marker, marker + os.urandom(size - len(marker))


def on_disk(home: Path, needle: bytes, size: int) -> bool:
    """Is ``needle`` in a stored file of about ``size`` bytes (as sent, or sealed)? Only files of
    such sizes are read: the session's server holds every suite's objects."""
    most = sealing.sealed_size(size)
    return any(
        path.is_file() and size <= path.stat().st_size <= most and needle in path.read_bytes()
        for path in (home / "objects").rglob("*")
    )


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def client_as(server, key: dict, service: str):
    return boto3.client(
        service,
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def new_user(iam, *statements: dict) -> dict:
    name = f"sse-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )
    return iam.create_access_key(UserName=name)["AccessKey"]


S3_ALL = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def test_sse_kms_object_is_sealed_on_disk_and_reads_back(server, s3, kms, bucket):
    key = kms.create_key()["KeyMetadata"]
    marker, body = marked(3 * MiB + 123)
    put = s3.put_object(
        Bucket=bucket, Key="secret.bin", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"]
    )
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    assert not on_disk(server.home, marker, len(body))
    got = s3.get_object(Bucket=bucket, Key="secret.bin")
    assert got["Body"].read() == body
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == key["Arn"]
    head = s3.head_object(Bucket=bucket, Key="secret.bin")
    assert head["ContentLength"] == len(body) and head["SSEKMSKeyId"] == key["Arn"]
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("secret.bin", len(body))]
    for start, end in ((0, 0), (10, MiB + 20), (MiB - 1, MiB), (len(body) - 7, len(body) - 1)):
        part = s3.get_object(Bucket=bucket, Key="secret.bin", Range=f"bytes={start}-{end}")
        assert part["Body"].read() == body[start : end + 1]
        assert part["ContentRange"] == f"bytes {start}-{end}/{len(body)}"


def test_sse_s3_and_unencrypted_objects(server, s3, bucket):
    marker, body = marked(4096)
    put = s3.put_object(Bucket=bucket, Key="aes.bin", Body=body, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in put
    assert not on_disk(server.home, marker, len(body))
    got = s3.get_object(Bucket=bucket, Key="aes.bin")
    assert got["Body"].read() == body and got["ServerSideEncryption"] == "AES256"
    assert got["ETag"].strip('"') == hashlib.md5(body).hexdigest()
    plain_marker, plain = marked(100)
    s3.put_object(Bucket=bucket, Key="plain.bin", Body=plain)  # no encryption asked: stored as sent
    assert s3.head_object(Bucket=bucket, Key="plain.bin")["ServerSideEncryption"] == "AES256"
    assert on_disk(server.home, plain_marker, len(plain))


def test_empty_object_and_aws_managed_key(s3, kms, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"] and managed["KeyManager"] == "AWS"
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b"" and got["ContentLength"] == 0


def test_bucket_default_encryption(server, s3, kms, bucket):
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert default["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["Arn"] and rule["BucketKeyEnabled"]
    marker, body = marked(1000)
    put = s3.put_object(Bucket=bucket, Key="by-default", Body=body)
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    assert not on_disk(server.home, marker, len(body))
    asked = s3.put_object(Bucket=bucket, Key="asked", Body=b"x", ServerSideEncryption="AES256")
    assert asked["ServerSideEncryption"] == "AES256"  # a write's own choice wins over the default
    s3.delete_bucket_encryption(Bucket=bucket)
    again = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert again["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_object(Bucket=bucket, Key="by-default")["Body"].read() == body
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key["Arn"]}}
                ]
            },
        )
    assert code(excinfo) == "InvalidArgument"


def test_multipart_upload_and_copies(server, s3, kms, bucket):
    key = kms.create_key()["KeyMetadata"]
    marker, first = marked(5 * MiB)
    second = os.urandom(MiB + 5)
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    assert upload["SSEKMSKeyId"] == key["Arn"]
    parts = []
    for number, data in ((1, first), (2, second)):
        etag = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=number, Body=data)[
            "ETag"
        ]
        parts.append({"PartNumber": number, "ETag": etag})
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload["UploadId"])["Parts"]
    assert [p["Size"] for p in listed] == [len(first), len(second)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    assert done["SSEKMSKeyId"] == key["Arn"]
    assert not on_disk(server.home, marker, len(first))
    whole = first + second
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == whole
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == len(whole)
    span = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MiB - 3}-{5 * MiB + 2}")["Body"].read()
    assert span == whole[5 * MiB - 3 : 5 * MiB + 3]
    assert s3.get_object(Bucket=bucket, Key="big", PartNumber=2)["Body"].read() == second
    # Copies: decrypted to plaintext, or re-encrypted under another key.
    s3.copy_object(Bucket=bucket, Key="copy-plain", CopySource={"Bucket": bucket, "Key": "big"})
    assert s3.get_object(Bucket=bucket, Key="copy-plain")["Body"].read() == whole
    other = kms.create_key()["KeyMetadata"]
    copied = s3.copy_object(
        Bucket=bucket,
        Key="copy-kms",
        CopySource={"Bucket": bucket, "Key": "copy-plain"},
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=other["KeyId"],
    )
    assert copied["SSEKMSKeyId"] == other["Arn"]
    assert s3.get_object(Bucket=bucket, Key="copy-kms")["Body"].read() == whole


def test_reader_without_kms_decrypt_is_denied(server, s3, iam, kms, bucket):
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(
        Bucket=bucket, Key="guarded", Body=b"top secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    s3.put_object(Bucket=bucket, Key="open", Body=b"public")
    reader = client_as(server, new_user(iam, S3_ALL), "s3")
    assert reader.get_object(Bucket=bucket, Key="open")["Body"].read() == b"public"
    with pytest.raises(ClientError) as excinfo:
        reader.get_object(Bucket=bucket, Key="guarded")
    assert code(excinfo) == "AccessDenied"
    assert "kms:Decrypt" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        reader.put_object(Bucket=bucket, Key="new", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert code(excinfo) == "AccessDenied"
    allowed = client_as(
        server,
        new_user(
            iam, S3_ALL, {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key["Arn"]}
        ),
        "s3",
    )
    assert allowed.get_object(Bucket=bucket, Key="guarded")["Body"].read() == b"top secret"
    allowed.put_object(Bucket=bucket, Key="new", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])


def test_disabled_and_pending_deletion_keys(s3, kms, bucket):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k")
    assert code(excinfo) == "KMS.DisabledException"
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert code(excinfo) == "KMS.DisabledException"
    kms.enable_key(KeyId=key)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k")
    assert code(excinfo) == "KMS.KMSInvalidStateException"
    assert "pending deletion" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(
            Bucket=bucket,
            Key="k3",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="00000000-0000-0000-0000-000000000000",
        )
    assert code(excinfo) == "KMS.NotFoundException"


def test_tampered_bytes_are_an_error_never_wrong_data(server, s3):
    bucket = unique_bucket("sse-tamper")
    s3.create_bucket(Bucket=bucket)
    _, body = marked(2357)
    s3.put_object(Bucket=bucket, Key="t", Body=body, ServerSideEncryption="AES256")
    size = len(body) + 28
    candidates = [p for p in (server.home / "objects").rglob("*") if p.is_file() and p.stat().st_size == size]
    blob = max(candidates, key=lambda p: p.stat().st_mtime)
    data = bytearray(blob.read_bytes())
    data[100] ^= 0x01
    os.chmod(blob, 0o600)
    blob.write_bytes(bytes(data))
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="t")
    assert code(excinfo) == "InternalError"


def test_customer_provided_keys_are_refused_not_ignored(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="ssec", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey="k" * 32)
    assert code(excinfo) == "NotImplemented"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
