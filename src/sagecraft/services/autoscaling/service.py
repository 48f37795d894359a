"""Application Auto Scaling use-cases for SageMaker endpoint variants: scalable targets, target
tracking policies, and the scaling activities the controller (controller.py) records."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.arns import arn
from sagecraft.core.errors import ConflictException, ValidationException
from sagecraft.services.autoscaling import repository as repo
from sagecraft.services.autoscaling.models import (
    DIMENSION,
    INVOCATIONS_PER_INSTANCE,
    NAMESPACE,
    RESOURCE_RE,
    TARGET_TRACKING,
    Activity,
    Key,
    ObjectNotFound,
    ScalableTarget,
    ScalingPolicy,
)
from sagecraft.storage.metadata import MetadataStore

UTC = dt.timezone.utc


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def check_namespace(namespace: str) -> None:
    if namespace != NAMESPACE:
        raise ValidationException(f"Scaling the service namespace {namespace} is not supported by Sagecraft yet "
                                  "(only sagemaker endpoint variants).")


def target_key(account_id: str, region: str, params: dict[str, Any]) -> Key:
    check_namespace(params["ServiceNamespace"])
    if not RESOURCE_RE.match(params["ResourceId"]):
        raise ValidationException(f"Unsupported resource ID format: {params['ResourceId']} (expected "
                                  "endpoint/<endpoint name>/variant/<variant name>).")
    if params["ScalableDimension"] != DIMENSION:
        raise ValidationException(f"Unsupported scalable dimension {params['ScalableDimension']} for the sagemaker "
                                  f"namespace: Sagecraft scales {DIMENSION}.")
    return Key(account_id, region, params["ServiceNamespace"], params["ResourceId"], params["ScalableDimension"])


def _not_registered(key: Key) -> ObjectNotFound:
    return ObjectNotFound(f"No scalable target registered for service namespace: {key.service_namespace}, "
                          f"resource ID: {key.resource_id}, scalable dimension: {key.scalable_dimension}")


# Checks that the variant a ResourceId names exists (raises an AwsError naming it otherwise).
VariantCheck = Callable[[Key], None]


class AutoScalingService:
    def __init__(self, store: MetadataStore, check_variant: VariantCheck,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.store = store
        self.check_variant = check_variant
        self.clock = clock

    # -- scalable targets -------------------------------------------------------------------------

    def register(self, key: Key, params: dict[str, Any]) -> ScalableTarget:
        low, high = params.get("MinCapacity"), params.get("MaxCapacity")
        with self.store.read() as db:
            existing = repo.target(db, key)
        if existing is None:
            if low is None or high is None:
                raise ValidationException("MinCapacity and MaxCapacity are required to register a new scalable "
                                          "target.")
            self.check_variant(key)
        low = existing.min_capacity if low is None else low
        high = existing.max_capacity if high is None else high
        if low < 1:
            raise ValidationException("The minimum capacity of a SageMaker endpoint variant must be at least 1.")
        if low > high:
            raise ValidationException(f"Minimum capacity ({low}) cannot be greater than maximum capacity ({high}).")
        suspended = {**(existing.suspended_state if existing else {}), **(params.get("SuspendedState") or {})}
        values = {"min_capacity": low, "max_capacity": high, "suspended_state": suspended,
                  "role_arn": params.get("RoleARN") or (existing.role_arn if existing else None) or _service_role(key)}
        try:
            with self.store.write() as db:
                if existing is None:
                    target_id = uuid.uuid4().hex + uuid.uuid4().hex[:4]
                    repo.insert_target(db, {**key.columns(), **values, "created_at": self.clock(),
                                            "tags": params.get("Tags") or {},
                                            "arn": arn("application-autoscaling", key.region, key.account_id,
                                                       f"scalable-target/{target_id}")})
                else:
                    repo.update_target(db, existing.id, values)
                found = repo.target(db, key)
        except IntegrityError:
            raise ConflictException("The scalable target was registered concurrently; try again.",
                                    code="ConcurrentUpdateException", status=400) from None
        assert found is not None
        return found

    def get(self, key: Key) -> ScalableTarget:
        with self.store.read() as db:
            found = repo.target(db, key)
        if found is None:
            raise _not_registered(key)
        return found

    def targets(self, account_id: str, region: str, namespace: str, dimension: str | None) -> list[ScalableTarget]:
        check_namespace(namespace)
        with self.store.read() as db:
            return repo.targets_in(db, account_id, region, namespace, dimension)

    def all_targets(self) -> list[ScalableTarget]:
        with self.store.read() as db:
            return repo.all_targets(db)

    def deregister(self, key: Key) -> None:
        self.get(key)
        with self.store.write() as db:
            repo.delete_target(db, key)

    # -- policies ---------------------------------------------------------------------------------

    def put_policy(self, key: Key, name: str, params: dict[str, Any]) -> ScalingPolicy:
        policy_type = params.get("PolicyType") or "StepScaling"
        if policy_type != TARGET_TRACKING:
            raise ValidationException(f"The policy type {policy_type} is not supported by Sagecraft yet "
                                      f"(only {TARGET_TRACKING}).")
        config = params.get("TargetTrackingScalingPolicyConfiguration")
        if not config:
            raise ValidationException("TargetTrackingScalingPolicyConfiguration is required for a "
                                      "TargetTrackingScaling policy.")
        metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        if metric != INVOCATIONS_PER_INSTANCE:
            raise ValidationException(f"Sagecraft tracks the predefined metric {INVOCATIONS_PER_INSTANCE} only "
                                      f"(got {metric or 'a customized metric'}): others are not supported yet.")
        if not config["TargetValue"] > 0:
            raise ValidationException("The TargetValue of a target tracking policy must be greater than 0.")
        self.get(key)
        with self.store.write() as db:
            existing = repo.policy(db, key, name)
            if existing is None:
                policy_arn = (f"arn:aws:autoscaling:{key.region}:{key.account_id}:scalingPolicy:{uuid.uuid4()}:"
                              f"resource/{key.service_namespace}/{key.resource_id}:policyName/{name}")
                repo.insert_policy(db, {**key.columns(), "name": name, "arn": policy_arn, "policy_type": policy_type,
                                        "configuration": config, "created_at": self.clock(), "state": {}})
            else:
                repo.update_policy(db, existing.id, {"configuration": config, "policy_type": policy_type})
            found = repo.policy(db, key, name)
        assert found is not None
        return found

    def delete_policy(self, key: Key, name: str) -> None:
        with self.store.write() as db:
            found = repo.policy(db, key, name)
            if found is None:
                raise ObjectNotFound(f"No scaling policy found for service namespace: {key.service_namespace}, "
                                     f"resource ID: {key.resource_id}, scalable dimension: "
                                     f"{key.scalable_dimension}, policy name: {name}")
            repo.delete_policy(db, found.id)

    def policies(self, account_id: str, region: str, namespace: str, resource_id: str | None,
                 dimension: str | None) -> list[ScalingPolicy]:
        check_namespace(namespace)
        with self.store.read() as db:
            return repo.policies_in(db, account_id, region, namespace, resource_id, dimension)

    def policies_of(self, key: Key) -> list[ScalingPolicy]:
        with self.store.read() as db:
            return repo.policies_of(db, key)

    def remember(self, policy: ScalingPolicy, state: dict[str, Any]) -> None:
        with self.store.write() as db:
            repo.update_policy(db, policy.id, {"state": state})

    # -- activities -------------------------------------------------------------------------------

    def record_activity(self, key: Key, description: str, cause: str, status_code: str,
                        status_message: str | None, started: dt.datetime) -> None:
        with self.store.write() as db:
            repo.insert_activity(db, {**key.columns(), "activity_id": str(uuid.uuid4()), "description": description,
                                      "cause": cause, "status_code": status_code, "status_message": status_message,
                                      "start_time": started, "end_time": self.clock()})

    def activities(self, account_id: str, region: str, namespace: str, resource_id: str | None,
                   dimension: str | None) -> list[Activity]:
        check_namespace(namespace)
        with self.store.read() as db:
            return repo.activities_in(db, account_id, region, namespace, resource_id, dimension)


def _service_role(key: Key) -> str:
    return (f"arn:aws:iam::{key.account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
