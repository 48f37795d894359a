"""Application Auto Scaling records: scalable targets, scaling policies and scaling activities.

Sagecraft scales SageMaker endpoint variants only: ResourceId ``endpoint/<name>/variant/<variant>``,
ScalableDimension ``sagemaker:variant:DesiredInstanceCount``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sagecraft.core.errors import ClientError

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
RESOURCE_RE = re.compile(r"^endpoint/([^/]+)/variant/([^/]+)$")
TARGET_TRACKING = "TargetTrackingScaling"
INVOCATIONS_PER_INSTANCE = "SageMakerVariantInvocationsPerInstance"
DEFAULT_COOLDOWN_S = 300  # AWS's default for both ScaleInCooldown and ScaleOutCooldown


class ObjectNotFound(ClientError):
    code = "ObjectNotFoundException"


class InvalidNextToken(ClientError):
    code = "InvalidNextTokenException"


@dataclass(frozen=True)
class Key:
    """What a scalable target is registered under."""

    account_id: str
    region: str
    service_namespace: str
    resource_id: str
    scalable_dimension: str

    @property
    def endpoint(self) -> tuple[str, str]:
        """(endpoint name, variant name)."""
        match = RESOURCE_RE.match(self.resource_id)
        assert match is not None
        return match.group(1), match.group(2)

    def columns(self) -> dict[str, str]:
        return {"account_id": self.account_id, "region": self.region, "service_namespace": self.service_namespace,
                "resource_id": self.resource_id, "scalable_dimension": self.scalable_dimension}


def key_of(row: Any) -> Key:
    return Key(row.account_id, row.region, row.service_namespace, row.resource_id, row.scalable_dimension)


@dataclass(frozen=True)
class ScalableTarget:
    id: int
    key: Key
    arn: str
    min_capacity: int
    max_capacity: int
    role_arn: str | None
    suspended_state: dict[str, bool]
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> ScalableTarget:
        return cls(row.id, key_of(row), row.arn, row.min_capacity, row.max_capacity, row.role_arn,
                   dict(row.suspended_state or {}), row.created_at)


@dataclass(frozen=True)
class ScalingPolicy:
    id: int
    key: Key
    name: str
    arn: str
    policy_type: str
    configuration: dict[str, Any]
    created_at: dt.datetime
    state: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> ScalingPolicy:
        return cls(row.id, key_of(row), row.name, row.arn, row.policy_type, dict(row.configuration), row.created_at,
                   dict(row.state or {}))


@dataclass(frozen=True)
class Activity:
    key: Key
    activity_id: str
    description: str
    cause: str
    status_code: str
    status_message: str | None
    start_time: dt.datetime
    end_time: dt.datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Activity:
        return cls(key_of(row), row.activity_id, row.description, row.cause, row.status_code, row.status_message,
                   row.start_time, row.end_time)
