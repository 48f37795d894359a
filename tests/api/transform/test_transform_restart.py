"""A transform job outlives its server: the worker keeps running, the restarted server re-attaches,
uploads the output and records Completed; the worker's lines reach CloudWatch Logs."""

from __future__ import annotations

import time

import pytest
from transform_support import SKLEARN_IMAGE, create_model, start, tar_bytes, unique, wait

pytestmark = pytest.mark.slow

SCRIPT = b"""import time

import numpy as np

def model_fn(model_dir):
    return None

def predict_fn(data, model):
    print("predicting", len(data), "rows", flush=True)
    time.sleep(4)
    return np.asarray(data).sum(axis=1)
"""


def test_a_job_running_while_the_server_restarts_completes(fresh_server):
    server = fresh_server.start()
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("restart")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="m/model.tar.gz", Body=tar_bytes({"code/inference.py": SCRIPT}))
    model = create_model(
        sm,
        f"s3://{bucket}/m/model.tar.gz",
        SKLEARN_IMAGE,
        {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    s3.put_object(Bucket=bucket, Key="in/rows.csv", Body=b"1,2\n3,4\n")
    name = start(sm, model, f"s3://{bucket}/in/", f"s3://{bucket}/out/")
    logs = server.client("logs")
    deadline = time.monotonic() + 60
    while (
        not logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{name}/").get(
            "logStreams"
        )
        if _group(logs)
        else True
    ):
        assert time.monotonic() < deadline, "the worker never logged"
        time.sleep(0.1)
    server.kill()
    server.start()
    sm, s3, logs = server.client("sagemaker"), server.client("s3"), server.client("logs")
    described = wait(sm, name, timeout=60)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert s3.get_object(Bucket=bucket, Key="out/rows.csv.out")["Body"].read().split() == [b"3.0", b"7.0"]
    (stream,) = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{name}/")[
        "logStreams"
    ]
    messages = [
        e["message"]
        for e in logs.get_log_events(
            logGroupName="/aws/sagemaker/TransformJobs", logStreamName=stream["logStreamName"]
        )["events"]
    ]
    assert any("predicting 2 rows" in m for m in messages)
    assert sum("Model loaded" in m for m in messages) == 1  # not shipped twice after the restart


def _group(logs) -> bool:
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/TransformJobs")["logGroups"]
    return bool(groups)
