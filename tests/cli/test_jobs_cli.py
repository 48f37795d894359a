"""``sagecraft jobs ls | logs | stop`` against a running server."""

from __future__ import annotations

import io
import tarfile
import time
import uuid

from tests.support.cli import sagecraft

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def start_job(server, script: str) -> str:
    s3, sm = server.client("s3"), server.client("sagemaker")
    bucket = f"cli-jobs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(script.encode())
        tar.addfile(info, io.BytesIO(script.encode()))
    s3.put_object(Bucket=bucket, Key="src.tar.gz", Body=buffer.getvalue())
    name = f"cli-{uuid.uuid4().hex[:8]}"
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "python:3.11", "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/src.tar.gz"'},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5})
    return name


def test_ls_and_logs_follow(server):
    name = start_job(server, "print('first line')\nprint('second\\tline')\n")
    followed = sagecraft("jobs", "logs", "-f", name, "--home", server.home, timeout=120)
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.splitlines() == ["first line", "second#011line"]
    assert "Completed" in followed.stderr
    listed = sagecraft("jobs", "ls", "--home", server.home)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if name in line)
    assert "training" in row and "Completed" in row


def test_stop(server):
    name = start_job(server, "import time\nprint('up', flush=True)\ntime.sleep(300)\n")
    sm = server.client("sagemaker")
    deadline = time.monotonic() + 60
    while sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] != "Training":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stopped = sagecraft("jobs", "stop", name, "--home", server.home, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped" in stopped.stderr
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Stopped"
    again = sagecraft("jobs", "stop", name, "--home", server.home)
    assert again.returncode == 1 and "status Stopped" in again.stderr


def test_unknown_job(server):
    result = sagecraft("jobs", "logs", "no-such-job", "--home", server.home)
    assert result.returncode == 1 and "No training or processing job is named no-such-job" in result.stderr
