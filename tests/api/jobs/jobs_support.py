"""Helpers of the jobs API tests: requests, sources, waiting, logs."""

from __future__ import annotations

import io
import tarfile
import textwrap
import time
import uuid

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
PYTHON_IMAGE = "python:3.8-slim"
TERMINAL = ("Completed", "Failed", "Stopped")
WAIT_SECONDS = 120


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def source_tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload_source(s3, bucket: str, script: str, name: str = "train.py", extra: dict[str, str] | None = None) -> str:
    key = f"source/{uuid.uuid4().hex[:8]}/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=source_tarball({name: script, **(extra or {})}))
    return f"s3://{bucket}/{key}"


def training_request(name: str, bucket: str, source: str, *, entry: str = "train.py", channels: dict | None = None,
                     hyperparameters: dict | None = None, **overrides) -> dict:
    request = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": {"sagemaker_program": f'"{entry}"', "sagemaker_submit_directory": f'"{source}"',
                            **(hyperparameters or {})},
        "InputDataConfig": [
            {"ChannelName": channel, "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}
            for channel, uri in (channels or {}).items()],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    if not request["InputDataConfig"]:
        del request["InputDataConfig"]
    request.update(overrides)
    return request


def processing_request(name: str, code_uri: str, *, inputs: list | None = None, outputs: list | None = None,
                       **overrides) -> dict:
    request = {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": PYTHON_IMAGE, "ContainerEntrypoint": [
            "python3", f"/opt/ml/processing/input/code/{code_uri.rsplit('/', 1)[-1]}"]},
        "ProcessingInputs": [*(inputs or []), {
            "InputName": "code", "AppManaged": False,
            "S3Input": {"S3Uri": code_uri, "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
                        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
                        "S3CompressionType": "None"}}],
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    if outputs:
        request["ProcessingOutputConfig"] = {"Outputs": outputs}
    request.update(overrides)
    return request


def s3_input(name: str, uri: str, local: str, **options) -> dict:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix",
                                          "S3InputMode": "File", **options}}


def s3_output(name: str, local: str, uri: str) -> dict:
    return {"OutputName": name, "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": "EndOfJob"}}


def upload_script(s3, bucket: str, script: str, name: str = "process.py") -> str:
    key = f"code/{uuid.uuid4().hex[:8]}/{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=textwrap.dedent(script).encode())
    return f"s3://{bucket}/{key}"


def describe(sm, name: str, kind: str = "training") -> dict:
    if kind == "training":
        return sm.describe_training_job(TrainingJobName=name)
    return sm.describe_processing_job(ProcessingJobName=name)


def status_of(description: dict) -> str:
    return description.get("TrainingJobStatus") or description["ProcessingJobStatus"]


def wait_until(sm, name: str, kind: str = "training", statuses=TERMINAL, timeout: float = WAIT_SECONDS,
               check=None) -> dict:
    """Poll Describe until the job's status is one of ``statuses`` (and ``check(description)`` holds)."""
    deadline = time.monotonic() + timeout
    while True:
        description = describe(sm, name, kind)
        if status_of(description) in statuses and (check is None or check(description)):
            return description
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {status_of(description)}: {description}")
        time.sleep(0.05)


def log_messages(logs, name: str, kind: str = "training") -> dict[str, list[str]]:
    group = "/aws/sagemaker/TrainingJobs" if kind == "training" else "/aws/sagemaker/ProcessingJobs"
    try:
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{name}/")["logStreams"]
    except logs.exceptions.ResourceNotFoundException:  # no job has logged in this group yet
        return {}
    out = {}
    for stream in streams:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                     startFromHead=True)["events"]
        out[stream["logStreamName"]] = [e["message"] for e in events]
    return out


def wait_for_log(logs, name: str, text: str, kind: str = "training", timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in m for lines in log_messages(logs, name, kind).values() for m in lines):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in the log of {name}")
        time.sleep(0.05)


def read_tar(body: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
