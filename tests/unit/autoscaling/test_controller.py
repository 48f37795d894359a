"""The autoscaling controller's decisions on a real metadata store and CloudWatch service, with the
``sagemaker`` control plane replaced by a recording stand-in."""

from __future__ import annotations

import time

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.autoscaling.controller import AutoScalingController
from sagecraft.services.autoscaling.models import DIMENSION, Key
from sagecraft.services.autoscaling.service import AutoScalingService
from sagecraft.services.cloudwatch.service import CloudWatchService
from sagecraft.storage.metadata import MetadataStore

KEY = Key("000000000000", "us-east-1", "sagemaker", "endpoint/ep/variant/AllTraffic", DIMENSION)


class ControlPlane:
    """An InService endpoint whose variant count changes when asked."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.updates: list[int] = []

    def describe_endpoint(self, context, params):
        return {"EndpointStatus": "InService", "ProductionVariants": [
            {"VariantName": "AllTraffic", "CurrentInstanceCount": self.count, "DesiredInstanceCount": self.count}]}

    def update_endpoint_weights_and_capacities(self, context, params):
        self.count = params["DesiredWeightsAndCapacities"][0]["DesiredInstanceCount"]
        self.updates.append(self.count)
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts(tmp_path):
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'metadata.sqlite3'}")
    service = AutoScalingService(store, check_variant=lambda key: None)
    cloudwatch = CloudWatchService(store)
    plane, clock = ControlPlane(1), Clock()
    controller = AutoScalingController(service, cloudwatch, lambda: plane, interval=1, window=60, clock=clock)
    yield service, cloudwatch, plane, clock, controller
    store.close()


def _invocations(cloudwatch: CloudWatchService, count: int) -> None:
    now_ms = int(time.time() * 1000)
    cloudwatch.record("AWS/SageMaker", "Invocations", {"EndpointName": "ep", "VariantName": "AllTraffic"},
                      [(now_ms - 1000, float(count))], account_id=KEY.account_id, region=KEY.region)


def _policy(service: AutoScalingService, **config) -> None:
    service.put_policy(KEY, "p", {"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 100.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}, **config}})


def _setup(service: AutoScalingService, low: int, high: int, **config) -> None:
    service.register(KEY, {"MinCapacity": low, "MaxCapacity": high})
    _policy(service, **config)


def _evaluate(service, controller) -> None:
    controller.evaluate(service.get(KEY))


def test_no_datapoints_change_nothing_and_load_scales_out_within_max(parts):
    service, cloudwatch, plane, _clock, controller = parts
    _setup(service, 1, 4, ScaleOutCooldown=0)
    _evaluate(service, controller)
    assert plane.updates == []
    _invocations(cloudwatch, 250)  # 250 a minute on one instance: 2.5x the target
    _evaluate(service, controller)
    assert plane.updates == [3]
    _invocations(cloudwatch, 1000)
    _evaluate(service, controller)
    assert plane.updates == [3, 4]  # capped at MaxCapacity
    [latest, _first] = service.activities(KEY.account_id, KEY.region, "sagemaker", KEY.resource_id, None)
    assert latest.status_code == "Successful" and latest.description == "Setting desired instance count to 4."


def test_cooldowns_and_disable_scale_in(parts):
    service, cloudwatch, plane, clock, controller = parts
    plane.count = 3
    _setup(service, 1, 5, ScaleInCooldown=120, ScaleOutCooldown=0, DisableScaleIn=False)
    _invocations(cloudwatch, 30)  # 10 a minute per instance: one instance is enough
    clock.now += 1
    _evaluate(service, controller)
    assert plane.updates == [1]
    _invocations(cloudwatch, 500)
    _evaluate(service, controller)
    assert plane.updates == [1, 5]
    _policy(service, TargetValue=10_000.0, ScaleInCooldown=120)
    clock.now += 60
    _evaluate(service, controller)
    assert plane.updates == [1, 5]  # within the cooldown after the scale-out
    clock.now += 61
    _evaluate(service, controller)
    assert plane.updates == [1, 5, 1]
    plane.count = 5
    _policy(service, TargetValue=10_000.0, ScaleInCooldown=0, DisableScaleIn=True)
    clock.now += 1000
    _evaluate(service, controller)
    assert plane.updates == [1, 5, 1]  # scale-in disabled


def test_bounds_are_enforced_and_a_failed_change_is_recorded(parts):
    service, _cloudwatch, plane, _clock, controller = parts
    plane.count = 6
    _setup(service, 1, 4)
    _evaluate(service, controller)
    assert plane.updates == [4]

    def refuse(context, params):
        raise ValidationException('Cannot update in-progress endpoint "ep".')

    plane.count = 0
    plane.update_endpoint_weights_and_capacities = refuse  # type: ignore[method-assign]
    _evaluate(service, controller)
    [failed, _ok] = service.activities(KEY.account_id, KEY.region, "sagemaker", KEY.resource_id, None)
    assert failed.status_code == "Failed" and "Cannot update in-progress endpoint" in failed.status_message
