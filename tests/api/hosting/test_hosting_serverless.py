"""Serverless endpoints: no worker until the first call (cold start), MaxConcurrency enforced with
ThrottlingException, scale to zero after the idle period (logged), and a cold start again; a
model slower than the (here shortened) model timeout → ModelError."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, train_booster, unique, upload_tar, wait_status

# predict_fn waits for a gate file when the request asks for it: concurrency without timing.
SCRIPT = b"""
import os
import time
import xgboost


def predict_fn(data, booster):
    gate = os.environ["GATE_DIR"]
    if data.shape[0] in (2, 3):
        open(os.path.join(gate, f"started-{data.shape[0]}"), "w").close()
        while not os.path.exists(os.path.join(gate, f"open-{data.shape[0]}")):
            time.sleep(0.01)
    return booster.predict(xgboost.DMatrix(data))
"""


def _pids(home: Path, name: str) -> int:
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        count += b"sagecraft.executors.serving.worker" in cmdline and f"/endpoints/{name}-" in cwd \
            and cwd.startswith(str(home))
    return count


def _until(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


@pytest.mark.slow
def test_serverless_cold_start_concurrency_and_scale_to_zero(fresh_server, tmp_path):
    fresh_server.extra_env.update(SAGECRAFT_SERVERLESS_IDLE_SECONDS="1", SAGECRAFT_MODEL_TIMEOUT_SECONDS="10")
    server = fresh_server.start()
    sm, s3 = server.client("sagemaker"), server.client("s3")
    runtime = server.session().client("sagemaker-runtime", endpoint_url=server.endpoint_url,
                                      config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    bucket = unique("serverless")
    s3.create_bucket(Bucket=bucket)
    _booster, path, features = train_booster(tmp_path)
    model_data = upload_tar(s3, bucket, "m/model.tar.gz", {"xgboost-model": path.read_bytes()})
    source = upload_tar(s3, bucket, "m/sourcedir.tar.gz", {"inference.py": SCRIPT})
    gate = tmp_path / "gate"
    gate.mkdir()
    name = unique("sls")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": model_data,
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source,
                        "GATE_DIR": str(gate)}})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name,
        "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert described["ProductionVariants"][0]["CurrentServerlessConfig"] == {"MemorySizeInMB": 1024,
                                                                            "MaxConcurrency": 1}
    assert _pids(server.home, name) == 0, "no worker before the first call"

    body = csv_rows(features[:1])
    assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["Body"].read()
    assert _pids(server.home, name) == 1, "the first call started one worker (cold start)"

    # MaxConcurrency 1: a second request while one is in the model is throttled.
    results: list = []
    slow = threading.Thread(target=lambda: results.append(runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:2]))["Body"].read()))
    slow.start()
    assert _until(lambda: (gate / "started-2").exists())
    try:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)
        throttled = None
    except ClientError as error:
        throttled = error.response["Error"]["Code"]
    (gate / "open-2").touch()
    slow.join()
    assert throttled == "ThrottlingException"
    assert len(results) == 1 and len(results[0].split()) == 2

    # Idle for the configured second: scaled to zero, logged; the next call starts a worker again.
    assert _until(lambda: _pids(server.home, name) == 0), "scaled to zero after the idle period"
    events = server.client("logs").get_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{name}",
                                                  logStreamName="AllTraffic/scaling")["events"]
    messages = [e["message"] for e in events]
    assert any("Cold start" in m for m in messages) and any("Scaled to zero" in m for m in messages)
    assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["Body"].read()

    # A model that does not answer within the model timeout: ModelError, not an internal failure.
    try:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:3]))
        error = {}
    except ClientError as failure:
        error = failure.response["Error"]
    (gate / "open-3").touch()
    assert error.get("Code") == "ModelError" and "timed out" in error.get("Message", "")
    sm.delete_endpoint(EndpointName=name)
    assert _until(lambda: _pids(server.home, name) == 0)
