"""Models, endpoint configs and endpoints through boto3 against a real server: life cycle,
SageMaker's error wording, real predictions from worker processes, restarts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, deploy, unique, upload_tar, wait_status


def _error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _worker_pids(server, name: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if b"sagecraft.executors.serving.worker" in cmdline and f"/endpoints/{name}-" in cwd \
                and cwd.startswith(str(server.home)):
            found.append(int(pid))
    return found


def test_model_and_config_life_cycle_and_errors(sm, trained):
    name = unique("m")
    container = {"Image": XGBOOST_IMAGE, "ModelDataUrl": trained[2], "Environment": {"A": "1"}}
    arn = sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE)["ModelArn"]
    assert arn.endswith(f":model/{name}")
    with pytest.raises(ClientError) as excinfo:
        sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE)
    assert _error(excinfo)[0] == "ValidationException"
    assert "Cannot create already existing model" in _error(excinfo)[1]
    described = sm.describe_model(ModelName=name)
    assert described["PrimaryContainer"]["Environment"] == {"A": "1"} and described["ModelArn"] == arn
    assert name in [m["ModelName"] for m in sm.list_models(NameContains=name)["Models"]]

    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://b/capture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
    sm.create_endpoint_config(EndpointConfigName=name, DataCaptureConfig=capture, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    assert sm.describe_endpoint_config(EndpointConfigName=name)["DataCaptureConfig"] == capture
    with pytest.raises(ClientError) as excinfo:
        sm.create_endpoint_config(EndpointConfigName=unique("c"), ProductionVariants=[{
            "VariantName": "v", "ModelName": "missing-model", "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.xlarge"}])
    assert "Could not find model" in _error(excinfo)[1]
    for call, key in ((sm.describe_endpoint, "EndpointName"), (sm.describe_endpoint_config, "EndpointConfigName"),
                      (sm.describe_model, "ModelName")):
        with pytest.raises(ClientError) as excinfo:
            call(**{key: "nothing-here"})
        assert _error(excinfo)[0] == "ValidationException" and "Could not find" in _error(excinfo)[1]
    sm.delete_endpoint_config(EndpointConfigName=name)
    sm.delete_model(ModelName=name)
    with pytest.raises(ClientError):
        sm.describe_model(ModelName=name)


def test_builtin_xgboost_serves_the_boosters_scores(server, sm, runtime, trained):
    booster, features, url = trained
    name = deploy(sm, url)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    rows = features[:5]
    reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows))
    assert reply["InvokedProductionVariant"] == "AllTraffic"
    scores = [float(v) for v in reply["Body"].read().decode().split()]
    import xgboost

    expected = booster.predict(xgboost.DMatrix(rows))
    assert np.allclose(scores, expected, atol=1e-6)
    reply = runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Accept="application/json",
                                    Body=str(rows[:1].tolist()))
    assert reply["ContentType"] == "application/json"

    # A bad payload is the model's 4xx: ModelError, and the endpoint keeps serving.
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ModelError" and "Feature size" in error["Message"]
    assert excinfo.value.response["OriginalStatusCode"] == 400
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="not,numbers")
    assert excinfo.value.response["Error"]["Code"] == "ModelError"
    reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows[:1]))
    assert np.isclose(float(reply["Body"].read()), expected[0], atol=1e-6)

    # A worker that dies is restarted.
    pids = _worker_pids(server, name)
    assert len(pids) == 1
    os.kill(pids[0], 9)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows[:1]))
            break
        except ClientError:
            time.sleep(0.2)
    assert np.isclose(float(reply["Body"].read()), expected[0], atol=1e-6)

    sm.delete_endpoint(EndpointName=name)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and name in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]:
        time.sleep(0.2)
    assert name not in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]
    assert _worker_pids(server, name) == []
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1")
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
    assert "not found" in excinfo.value.response["Error"]["Message"]


def test_model_that_fails_to_load_fails_the_endpoint(sm, s3, bucket):
    url = upload_tar(s3, bucket, "broken/model.tar.gz", {"xgboost-model": b"this is no model"})
    name = deploy(sm, url)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "Failed"
    assert "ping health check" in described["FailureReason"] and "load" in described["FailureReason"]
    sm.delete_endpoint(EndpointName=name)


def test_invoke_errors(sm, runtime):
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"1")
    assert _error(excinfo) == ("ValidationError", "Endpoint no-such-endpoint of account 000000000000 not found.")
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"1" * (6 * 1024 * 1024 + 1))
    # The botocore model's length constraint on Body, checked by the gateway for every request, worded
    # with the code the runtime's model declares.
    assert _error(excinfo)[0] == "ValidationError" and "6291456" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        sm.create_endpoint(EndpointName=unique("e"), EndpointConfigName="no-such-config")
    assert "Could not find endpoint configuration" in _error(excinfo)[1]


def test_framework_inference_script(sm, s3, bucket, runtime, trained):
    booster, features, url = trained
    script = (b"import json\nimport numpy as np\n"
              b"def input_fn(body, content_type):\n    return np.array(json.loads(body), dtype=np.float32)\n"
              b"def output_fn(prediction, accept):\n    return json.dumps({'p': [float(x) for x in prediction]})\n")
    source = upload_tar(s3, bucket, "code/sourcedir.tar.gz", {"inference.py": script})
    name = deploy(sm, url, image="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                  environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source})
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    reply = runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                    Body=str(features[:2].tolist()))
    import xgboost

    expected = booster.predict(xgboost.DMatrix(features[:2]))
    assert np.allclose(__import__("json").loads(reply["Body"].read())["p"], expected, atol=1e-6)
    sm.delete_endpoint(EndpointName=name)


def test_update_endpoint_is_blue_green(sm, runtime, trained):
    import threading

    _booster, features, url = trained
    name = deploy(sm, url)
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    new_config = unique("blue-green")
    sm.create_endpoint_config(EndpointConfigName=new_config, ProductionVariants=[{
        "VariantName": "Green", "ModelName": name, "InitialInstanceCount": 2, "InstanceType": "ml.m5.xlarge"}])
    failures: list[str] = []
    variants: set[str] = set()
    stop = threading.Event()

    def client_loop() -> None:
        while not stop.is_set():
            try:
                reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:1]))
                variants.add(reply["InvokedProductionVariant"])
            except ClientError as error:
                failures.append(str(error))

    thread = threading.Thread(target=client_loop)
    thread.start()
    try:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=new_config)
        with pytest.raises(ClientError):  # one update at a time
            sm.update_endpoint(EndpointName=name, EndpointConfigName=new_config)
        described = wait_status(sm, name)
        time.sleep(1.5)
    finally:
        stop.set()
        thread.join()
    assert described["EndpointStatus"] == "InService" and described["EndpointConfigName"] == new_config
    assert described["ProductionVariants"][0]["VariantName"] == "Green"
    assert failures == [] and variants == {"AllTraffic", "Green"}
    sm.delete_endpoint(EndpointName=name)
