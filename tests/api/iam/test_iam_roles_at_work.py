"""A training script runs with its execution role's temporary credentials: what it can do with boto3
is what the role allows."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid

SCRIPT = """\
import os, boto3
s3 = boto3.client("s3")
s3.put_object(Bucket=os.environ["TARGET_BUCKET"], Key="from-job.txt", Body=b"written by the job")
print("WROTE")
"""
TRUST_SAGEMAKER = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def run_job(server, role_arn: str, bucket: str, source: str) -> dict:
    sm = server.client("sagemaker")
    name = f"role-{uuid.uuid4().hex[:8]}"
    sm.create_training_job(
        TrainingJobName=name, RoleArn=role_arn,
        AlgorithmSpecification={"TrainingImage": "python:3.11", "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"'},
        Environment={"TARGET_BUCKET": bucket},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 120})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        described = sm.describe_training_job(TrainingJobName=name)
        if described["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        time.sleep(0.5)
    raise AssertionError(f"{name} did not finish")


def test_the_role_decides_what_the_script_may_write(server):
    s3, iam = server.client("s3"), server.client("iam")
    bucket = f"role-work-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(SCRIPT)
        tar.addfile(info, io.BytesIO(SCRIPT.encode()))
    s3.put_object(Bucket=bucket, Key="src.tar.gz", Body=buffer.getvalue())
    role = f"JobRole-{uuid.uuid4().hex[:6]}"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_SAGEMAKER))["Role"]["Arn"]
    denied = run_job(server, arn, bucket, f"s3://{bucket}/src.tar.gz")
    assert denied["TrainingJobStatus"] == "Failed"
    assert "AccessDenied" in denied["FailureReason"]
    iam.put_role_policy(RoleName=role, PolicyName="write", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    allowed = run_job(server, arn, bucket, f"s3://{bucket}/src.tar.gz")
    assert allowed["TrainingJobStatus"] == "Completed", allowed.get("FailureReason")
    assert s3.get_object(Bucket=bucket, Key="from-job.txt")["Body"].read() == b"written by the job"
