"""SageMaker's KmsKeyId fields produce encrypted artifacts: a processing job's outputs are written
SSE-KMS with ProcessingOutputConfig.KmsKeyId (training, transform, capture and monitoring outputs
go through the same write)."""

from __future__ import annotations

import textwrap
import time
import uuid

import pytest

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
SCRIPT = """
    import os
    os.makedirs("/opt/ml/processing/output", exist_ok=True)
    open("/opt/ml/processing/output/result.txt", "w").write("ARTIFACT-" + "%s"[::-1])  # not in the script's text
"""


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def wait_processing(sm, name: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = sm.describe_processing_job(ProcessingJobName=name)
        if job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


@pytest.mark.slow
def test_processing_outputs_are_sse_kms_with_the_jobs_key(server, sm, s3, kms):
    bucket = f"artifacts-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    marker = uuid.uuid4().hex
    s3.put_object(Bucket=bucket, Key="code/process.py", Body=textwrap.dedent(SCRIPT % marker[::-1]).encode())
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/artifacts-{marker[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    name = f"sse-{marker[:10]}"
    sm.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        AppSpecification={
            "ImageUri": "python:3.8-slim",
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/process.py"],
        },
        ProcessingInputs=[
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/code/process.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "KmsKeyId": alias,
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
        },
        StoppingCondition={"MaxRuntimeInSeconds": 120},
    )
    job = wait_processing(sm, name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    head = s3.head_object(Bucket=bucket, Key="out/result.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="out/result.txt")["Body"].read() == f"ARTIFACT-{marker}".encode()
    stored = [p.read_bytes() for p in (server.home / "objects").rglob("*") if p.is_file()]
    assert not any(f"ARTIFACT-{marker}".encode() in data for data in stored)


@pytest.mark.slow
def test_a_disabled_output_key_fails_the_job_with_the_reason(server, sm, s3, kms):
    bucket = f"artifacts-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/process.py", Body=textwrap.dedent(SCRIPT % "x").encode())
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key)
    name = f"sse-off-{uuid.uuid4().hex[:8]}"
    sm.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        AppSpecification={
            "ImageUri": "python:3.8-slim",
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/process.py"],
        },
        ProcessingInputs=[
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/code/process.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "KmsKeyId": key,
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
        },
        StoppingCondition={"MaxRuntimeInSeconds": 120},
    )
    job = wait_processing(sm, name)
    assert job["ProcessingJobStatus"] == "Failed"
    assert "KMS.DisabledException" in job["FailureReason"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="out/")
