"""Application Auto Scaling for endpoint variants through boto3 against a real server: the API's
shapes and errors, and the controller following load within Min/Max on a real endpoint."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.api.hosting.hosting_support import csv_rows, deploy, wait_status

DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def _error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _target(resource_id: str) -> dict:
    return {"ServiceNamespace": "sagemaker", "ResourceId": resource_id, "ScalableDimension": DIMENSION}


def _policy(target_value: float, **extra) -> dict:
    return {"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": target_value, "ScaleInCooldown": 0, "ScaleOutCooldown": 0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}, **extra}}


def _poll(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise TimeoutError("condition not reached")


@pytest.fixture(scope="module")
def endpoint(sm, model_data):
    name = deploy(sm, model_data[0])
    assert wait_status(sm, name, timeout=90)["EndpointStatus"] == "InService"
    yield name
    sm.delete_endpoint(EndpointName=name)


@pytest.mark.slow
def test_targets_policies_and_their_errors(sm, scaling, endpoint):
    resource = f"endpoint/{endpoint}/variant/AllTraffic"
    arn = scaling.register_scalable_target(**_target(resource), MinCapacity=1, MaxCapacity=4)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/")
    [described] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])[
        "ScalableTargets"]
    assert (described["MinCapacity"], described["MaxCapacity"], described["ScalableTargetARN"]) == (1, 4, arn)
    assert described["SuspendedState"]["DynamicScalingInSuspended"] is False
    scaling.register_scalable_target(**_target(resource), MaxCapacity=5)  # an update keeps what it omits
    [described] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])[
        "ScalableTargets"]
    assert (described["MinCapacity"], described["MaxCapacity"]) == (1, 5)

    for bad, wording in (({"MinCapacity": 3, "MaxCapacity": 2}, "cannot be greater"),
                         ({"MinCapacity": 0, "MaxCapacity": 2}, "at least 1")):
        with pytest.raises(ClientError) as excinfo:
            scaling.register_scalable_target(**_target(resource), **bad)
        assert _error(excinfo)[0] == "ValidationException" and wording in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        scaling.register_scalable_target(**_target("endpoint/missing-endpoint/variant/AllTraffic"),
                                         MinCapacity=1, MaxCapacity=2)
    assert _error(excinfo) == ("ValidationException", "Endpoint missing-endpoint does not exist.")
    with pytest.raises(ClientError) as excinfo:
        scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/c/s",
                                         ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2)
    assert _error(excinfo)[0] == "ValidationException" and "not supported by Sagecraft yet" in _error(excinfo)[1]

    policy_arn = scaling.put_scaling_policy(PolicyName="invocations", **_target(resource), **_policy(70.0))[
        "PolicyARN"]
    assert ":scalingPolicy:" in policy_arn and policy_arn.endswith(f"{resource}:policyName/invocations")
    [policy] = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)["ScalingPolicies"]
    assert policy["PolicyARN"] == policy_arn and policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70
    with pytest.raises(ClientError) as excinfo:
        other = {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"}
        scaling.put_scaling_policy(PolicyName="cpu", **_target(resource), PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration={
                                       "TargetValue": 50.0, "PredefinedMetricSpecification": other})
    assert _error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        scaling.put_scaling_policy(PolicyName="p", **_target("endpoint/other/variant/AllTraffic"), **_policy(5.0))
    assert _error(excinfo)[0] == "ObjectNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        scaling.delete_scaling_policy(PolicyName="nope", **_target(resource))
    assert _error(excinfo)[0] == "ObjectNotFoundException"
    scaling.delete_scaling_policy(PolicyName="invocations", **_target(resource))
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)["ScalingPolicies"] == []
    scaling.deregister_scalable_target(**_target(resource))
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])[
        "ScalableTargets"] == []
    with pytest.raises(ClientError) as excinfo:
        scaling.deregister_scalable_target(**_target(resource))
    assert _error(excinfo)[0] == "ObjectNotFoundException"


@pytest.mark.slow
def test_the_instance_count_follows_load_within_min_and_max(sm, runtime, scaling, model_data, endpoint):
    features = model_data[1]
    resource = f"endpoint/{endpoint}/variant/AllTraffic"
    scaling.register_scalable_target(**_target(resource), MinCapacity=1, MaxCapacity=2)
    scaling.put_scaling_policy(PolicyName="invocations", **_target(resource), **_policy(60.0))
    body = csv_rows(features[:1])

    def variant() -> dict:
        return sm.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]

    # 40 invocations in the 10 s window: 240 a minute on one instance, 4x the target -> capped at Max (2).
    for _ in range(40):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
    _poll(lambda: variant()["DesiredInstanceCount"] == 2)
    described = wait_status(sm, endpoint, timeout=90)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    activities = scaling.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=resource)[
        "ScalingActivities"]
    assert activities[0]["StatusCode"] == "Successful"
    assert activities[0]["Description"] == "Setting desired instance count to 2."
    assert "invocations" in activities[0]["Cause"]

    # A trickle (one call while the burst ages out of the window) is far below the target: back to Min.
    def scaled_in() -> bool:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
        time.sleep(1.5)  # at most ~40 calls a minute over two instances: well under the target of 60 each
        return variant()["DesiredInstanceCount"] == 1

    _poll(scaled_in, timeout=90)
    activities = scaling.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=resource)[
        "ScalingActivities"]
    assert [a["Description"] for a in activities[:2]] == ["Setting desired instance count to 1.",
                                                          "Setting desired instance count to 2."]
    assert wait_status(sm, endpoint, timeout=90)["ProductionVariants"][0]["CurrentInstanceCount"] == 1
