"""UpdateEndpointWeightsAndCapacities (instances started/stopped in place) and the invocation
metrics in CloudWatch (AWS/SageMaker, EndpointName + VariantName)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, unique, wait_status


def _worker_pids(server, name: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if b"sagecraft.executors.serving.worker" in cmdline and f"/endpoints/{name}-" in cwd \
                and cwd.startswith(str(server.home)):
            found.append(int(pid))
    return found


def _until(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _two_variants(sm, url: str) -> str:
    name = unique("cap")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST_IMAGE,
                                                                             "ModelDataUrl": url})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": v, "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge",
         "InitialVariantWeight": 1.0} for v in ("A", "B")])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


@pytest.mark.slow
def test_weights_and_capacities_change_in_place(server, sm, runtime, trained):
    _booster, features, url = trained
    name = _two_variants(sm, url)
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    assert len(_worker_pids(server, name)) == 2
    sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": "A", "DesiredWeight": 0.0}, {"VariantName": "B", "DesiredInstanceCount": 3}])
    described = sm.describe_endpoint(EndpointName=name)
    if described["EndpointStatus"] == "Updating":
        b = next(v for v in described["ProductionVariants"] if v["VariantName"] == "B")
        assert (b["CurrentInstanceCount"], b["DesiredInstanceCount"]) == (1, 3)
        with pytest.raises(ClientError) as excinfo:  # one change at a time
            sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
                {"VariantName": "B", "DesiredInstanceCount": 1}])
        assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService" and "FailureReason" not in described
    variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert (variants["A"]["CurrentWeight"], variants["A"]["CurrentInstanceCount"]) == (0.0, 1)
    assert (variants["B"]["CurrentInstanceCount"], variants["B"]["DesiredInstanceCount"]) == (3, 3)
    assert len(_worker_pids(server, name)) == 4, "two instances started, no new fleet"
    seen = {runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                    Body=csv_rows(features[:1]))["InvokedProductionVariant"] for _ in range(30)}
    assert seen == {"B"}
    assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:1]),
                                   TargetVariant="A")["InvokedProductionVariant"] == "A"

    sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": "B", "DesiredInstanceCount": 1}])
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    assert _until(lambda: len(_worker_pids(server, name)) == 2), "the surplus instances stop"

    with pytest.raises(ClientError) as excinfo:
        sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
            {"VariantName": "Nope", "DesiredWeight": 1.0}])
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert "Nope" in excinfo.value.response["Error"]["Message"]
    sm.delete_endpoint(EndpointName=name)
    assert _until(lambda: _worker_pids(server, name) == []), "delete_endpoint leaves no worker processes"


def _statistic(cloudwatch, name: str, variant: str, metric: str, statistic: str) -> float:
    now = dt.datetime.now(dt.timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker", MetricName=metric, StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1), Period=3600, Statistics=[statistic],
        Dimensions=[{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": variant}])["Datapoints"]
    return sum(p[statistic] for p in points)


def test_invocation_metrics_reach_cloudwatch(server, sm, runtime, trained):
    _booster, features, url = trained
    name = _two_variants(sm, url)
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    for _ in range(12):
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:1]),
                                TargetVariant="A")
    for body in ("1,2,3", "not numbers"):
        with pytest.raises(ClientError):
            runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body, TargetVariant="A")
    cloudwatch = server.client("cloudwatch")
    assert _until(lambda: _statistic(cloudwatch, name, "A", "Invocations", "Sum") >= 14)
    assert _statistic(cloudwatch, name, "A", "Invocations", "Sum") == 14
    assert _until(lambda: _statistic(cloudwatch, name, "A", "Invocation4XXErrors", "Sum") == 2)
    assert _statistic(cloudwatch, name, "A", "Invocation5XXErrors", "Sum") == 0
    assert _statistic(cloudwatch, name, "A", "ModelLatency", "SampleCount") == 14
    assert _statistic(cloudwatch, name, "A", "ModelLatency", "Minimum") > 0
    assert _statistic(cloudwatch, name, "A", "OverheadLatency", "SampleCount") == 14
    assert _statistic(cloudwatch, name, "B", "Invocations", "Sum") == 0
    listed = cloudwatch.list_metrics(Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName",
                                                                              "Value": name}])["Metrics"]
    assert {"Invocations", "InvocationsPerInstance", "ModelLatency", "OverheadLatency", "Invocation4XXErrors",
            "Invocation5XXErrors"} <= {m["MetricName"] for m in listed}
    sm.delete_endpoint(EndpointName=name)
