"""The AWS CLI's SSE options against a real server: ``aws s3 cp --sse aws:kms --sse-kms-key-id``
(single and multipart uploads), then downloads that decrypt."""

from __future__ import annotations

import json
import os

from tests.api.s3.conftest import unique_bucket
from tests.api.s3.test_s3_tools import aws


def test_aws_s3_cp_with_sse_kms(server, tmp_path):
    key = server.client("kms").create_key()["KeyMetadata"]
    bucket = unique_bucket("sse-cli")
    aws(server, "s3", "mb", f"s3://{bucket}")
    small, large = tmp_path / "small.txt", tmp_path / "large.bin"
    small.write_text("hello encrypted world")
    large.write_bytes(os.urandom(9 * 1024 * 1024))  # above the CLI's 8 MiB multipart threshold
    for path in (small, large):
        aws(
            server,
            "s3",
            "cp",
            str(path),
            f"s3://{bucket}/{path.name}",
            "--sse",
            "aws:kms",
            "--sse-kms-key-id",
            key["KeyId"],
        )
        head = json.loads(aws(server, "s3api", "head-object", "--bucket", bucket, "--key", path.name))
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
        back = tmp_path / f"back-{path.name}"
        aws(server, "s3", "cp", f"s3://{bucket}/{path.name}", str(back))
        assert back.read_bytes() == path.read_bytes()
    aws(server, "s3", "cp", str(small), f"s3://{bucket}/aes.txt", "--sse", "AES256")
    head = json.loads(aws(server, "s3api", "head-object", "--bucket", bucket, "--key", "aes.txt"))
    assert head["ServerSideEncryption"] == "AES256"
