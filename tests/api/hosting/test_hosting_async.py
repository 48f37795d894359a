"""Asynchronous inference: AsyncInferenceConfig recorded, InvokeEndpointAsync answers 202 at once with
the output and failure locations, the result (or the model's error) lands there, the queue survives a
restart, ApproximateBacklogSize is published; wrong calls are refused."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, train_booster, unique, upload_tar, wait_status

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# predict_fn waits for a gate file on a 2-row request: a request held in the model without timing.
SCRIPT = b"""
import os
import time
import xgboost


def predict_fn(data, booster):
    gate = os.environ["GATE_DIR"]
    if data.shape[0] == 2:
        open(os.path.join(gate, "started"), "w").close()
        while not os.path.exists(os.path.join(gate, "open")):
            time.sleep(0.01)
    return booster.predict(xgboost.DMatrix(data))
"""


def _async_endpoint(sm, bucket: str, model_data: str, environment: dict | None = None,
                    failure_path: bool = True) -> str:
    name = unique("async")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": model_data, "Environment": environment or {}})
    output = {"S3OutputPath": f"s3://{bucket}/{name}/out",
              "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:000000000000:ok"}}
    if failure_path:
        output["S3FailurePath"] = f"s3://{bucket}/{name}/failed"
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}],
        AsyncInferenceConfig={"OutputConfig": output, "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2}})
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    return name


def _get(s3, uri: str, timeout: float = 30) -> tuple[bytes, str] | None:
    bucket, _, key = uri[len("s3://"):].partition("/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
            return found["Body"].read(), found["ContentType"]
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NoSuchKey"
        time.sleep(0.1)
    return None


def _code(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.mark.slow
def test_async_invocation_result_failure_and_refusals(sm, s3, runtime, bucket, trained):
    booster, features, model_data = trained
    name = _async_endpoint(sm, bucket, model_data)
    config = sm.describe_endpoint_config(EndpointConfigName=name)["AsyncInferenceConfig"]
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 2}
    assert config["OutputConfig"]["NotificationConfig"] == {"SuccessTopic": "arn:aws:sns:us-east-1:000000000000:ok"}
    assert sm.describe_endpoint(EndpointName=name)["AsyncInferenceConfig"] == config

    rows = features[:3]
    s3.put_object(Bucket=bucket, Key=f"{name}/in/rows.csv", Body=csv_rows(rows))
    answer = runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                           InputLocation=f"s3://{bucket}/{name}/in/rows.csv", InferenceId="my-id")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert answer["InferenceId"] == "my-id"
    assert re.fullmatch(rf"s3://{bucket}/{name}/out/{UUID}\.out", answer["OutputLocation"])
    request_id = answer["OutputLocation"].rsplit("/", 1)[1][:-len(".out")]
    assert answer["FailureLocation"] == f"s3://{bucket}/{name}/failed/{request_id}-error.out"
    result = _get(s3, answer["OutputLocation"])
    assert result is not None, "no result in the output path"
    scores = [float(v) for v in result[0].decode().split()]
    import xgboost

    assert np.allclose(scores, booster.predict(xgboost.DMatrix(rows)), atol=1e-6)
    assert result[1] == "text/csv"

    # Inline Body, a generated InferenceId, and many requests queued at once (concurrency 2) all answered.
    answers = [runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                             Body=csv_rows(features[i:i + 1])) for i in range(6)]
    assert len({a["InferenceId"] for a in answers}) == 6
    for i, queued in enumerate(answers):
        found = _get(s3, queued["OutputLocation"])
        assert found is not None
        assert np.isclose(float(found[0]), booster.predict(xgboost.DMatrix(features[i:i + 1]))[0], atol=1e-6)

    # The model refuses the input (wrong feature count): its message goes to the failure path.
    s3.put_object(Bucket=bucket, Key=f"{name}/in/bad.csv", Body=b"1.0,2.0")
    failed = runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                           InputLocation=f"s3://{bucket}/{name}/in/bad.csv")
    reason = _get(s3, failed["FailureLocation"])
    assert reason is not None and b"feature" in reason[0].lower()
    assert _get(s3, failed["OutputLocation"], timeout=0.5) is None
    # A missing input object fails the same way.
    missing = runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                            InputLocation=f"s3://{bucket}/{name}/in/nothing.csv")
    reason = _get(s3, missing["FailureLocation"])
    assert reason is not None and b"nothing.csv" in reason[0]

    code, message = _code(lambda: runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                          Body=csv_rows(rows)))
    assert code == "ValidationError" and "InvokeEndpointAsync" in message
    assert _code(lambda: runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv")) == (
        "ValidationError", "Provide exactly one of InputLocation and Body.")
    assert _code(lambda: runtime.invoke_endpoint_async(EndpointName="no-such-endpoint",
                                                       InputLocation=f"s3://{bucket}/x"))[0] == "ValidationError"
    code, message = _code(lambda: sm.create_endpoint_config(EndpointConfigName=unique("bad"), ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}],
        AsyncInferenceConfig={"OutputConfig": {"S3FailurePath": f"s3://{bucket}/failed"}}))
    assert (code, message) == ("ValidationException", "AsyncInferenceConfig.OutputConfig needs an S3OutputPath.")
    code, message = _code(lambda: sm.create_endpoint_config(EndpointConfigName=unique("bad"), ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name,
        "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://{bucket}/out"}}))
    assert code == "ValidationException" and "ServerlessConfig" in message


def test_async_refused_on_a_real_time_endpoint(sm, s3, runtime, bucket, trained):
    from hosting_support import deploy

    name = deploy(sm, trained[2])
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    code, message = _code(lambda: runtime.invoke_endpoint_async(EndpointName=name, InputLocation=f"s3://{bucket}/x"))
    assert code == "ValidationError" and "AsyncInferenceConfig" in message
    assert "AsyncInferenceConfig" not in sm.describe_endpoint(EndpointName=name)


@pytest.mark.slow
def test_async_queue_survives_a_restart_and_backlog_is_measured(fresh_server, tmp_path):
    server = fresh_server.start()
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("async-restart")
    s3.create_bucket(Bucket=bucket)
    _booster, path, features = train_booster(tmp_path)
    model_data = upload_tar(s3, bucket, "m/model.tar.gz", {"xgboost-model": path.read_bytes()})
    source = upload_tar(s3, bucket, "m/sourcedir.tar.gz", {"inference.py": SCRIPT})
    gate = tmp_path / "gate"
    gate.mkdir()
    name = _async_endpoint(sm, bucket, model_data, {"SAGEMAKER_PROGRAM": "inference.py",
                                                    "SAGEMAKER_SUBMIT_DIRECTORY": source, "GATE_DIR": str(gate)})
    runtime = server.client("sagemaker-runtime")
    held = runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:2]))
    deadline = time.monotonic() + 30
    while not (gate / "started").exists():
        assert time.monotonic() < deadline, "the queued request never reached the model"
        time.sleep(0.05)
    waiting = [runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:2]))
               for _ in range(3)]  # concurrency 2: one more in the model, two wait in the queue
    cloudwatch = server.client("cloudwatch")
    deadline = time.monotonic() + 30
    while True:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker", MetricName="ApproximateBacklogSize",
            Dimensions=[{"Name": "EndpointName", "Value": name}], StartTime=time.time() - 600, EndTime=time.time() + 60,
            Period=60, Statistics=["Maximum"])["Datapoints"]
        if points and max(p["Maximum"] for p in points) >= 2:
            break
        assert time.monotonic() < deadline, f"no ApproximateBacklogSize >= 2: {points}"
        time.sleep(0.2)

    # The model never answered: the server stops (and its workers with it) with the requests queued.
    server.stop()
    (gate / "open").touch()
    server.start()
    s3 = server.client("s3")
    for queued in [held, *waiting]:
        found = _get(s3, queued["OutputLocation"], timeout=60)
        assert found is not None, "a queued request was lost in the restart"
        assert len(found[0].decode().split()) == 2

