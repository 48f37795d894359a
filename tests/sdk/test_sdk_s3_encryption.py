"""The SageMaker SDK's uploads with a KMS key (``S3Uploader(kms_key=…)``, ``Session.upload_data``
with SSE-KMS extra args) are stored SSE-KMS under that key and read back through the SDK."""

from __future__ import annotations

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

SCRIPT = """
import json, os
import boto3, sagemaker
from sagemaker.s3 import S3Downloader, S3Uploader

session = sagemaker.Session()
bucket = session.default_bucket()
prefix = os.environ["PREFIX"]
key = boto3.client("kms").create_key()["KeyMetadata"]
s3 = boto3.client("s3")
with open("data.csv", "w") as handle:
    handle.write("a,b\\n1,2\\n")
uploaded = S3Uploader.upload("data.csv", f"s3://{bucket}/{prefix}/uploader", kms_key=key["KeyId"],
                             sagemaker_session=session)
text_uri = S3Uploader.upload_string_as_file_body("hello", f"s3://{bucket}/{prefix}/text.txt", kms_key=key["Arn"],
                                                 sagemaker_session=session)
data_uri = session.upload_data("data.csv", bucket=bucket, key_prefix=f"{prefix}/session",
                               extra_args={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["KeyId"]})
heads = [s3.head_object(Bucket=bucket, Key=uri[len(f"s3://{bucket}/"):]) for uri in (uploaded, text_uri, data_uri)]
print("RESULT " + json.dumps({
    "key": key["Arn"],
    "encryption": [[h["ServerSideEncryption"], h.get("SSEKMSKeyId")] for h in heads],
    "read": [S3Downloader.read_file(uri, sagemaker_session=session) for uri in (uploaded, text_uri, data_uri)],
}))
"""


@pytest.mark.slow
def test_sdk_uploads_with_a_kms_key(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(SCRIPT, tmp_path, exports(result.stdout), {})
    assert outcome["encryption"] == [["aws:kms", outcome["key"]]] * 3
    assert outcome["read"] == ["a,b\n1,2\n", "hello", "a,b\n1,2\n"]
