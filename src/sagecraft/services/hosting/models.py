"""Hosting records: models, endpoint configs and endpoints, and the endpoint state machine."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sagecraft.core.arns import arn


class Kind(enum.StrEnum):
    MODEL = "model"
    ENDPOINT_CONFIG = "endpoint-config"
    ENDPOINT = "endpoint"

    @property
    def label(self) -> str:
        """How SageMaker names the kind in its messages."""
        return {"model": "model", "endpoint-config": "endpoint configuration", "endpoint": "endpoint"}[self.value]


class EndpointStatus(enum.StrEnum):
    CREATING = "Creating"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    DELETING = "Deleting"
    FAILED = "Failed"


# Endpoints the reconciler works on (Failed ones keep no workers).
ACTIVE = (EndpointStatus.CREATING.value, EndpointStatus.IN_SERVICE.value, EndpointStatus.UPDATING.value,
          EndpointStatus.DELETING.value)


def resource_arn(kind: Kind, region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"{kind.value}/{name.lower()}")


@dataclass(frozen=True)
class Resource:
    id: int
    account_id: str
    region: str
    kind: Kind
    name: str
    arn: str
    status: str | None
    failure_reason: str | None
    config_name: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    request: dict[str, Any]
    tags: list[dict[str, str]]
    runtime: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Resource:
        return cls(id=row.id, account_id=row.account_id, region=row.region, kind=Kind(row.kind), name=row.name,
                   arn=row.arn, status=row.status, failure_reason=row.failure_reason, config_name=row.config_name,
                   created_at=row.created_at, last_modified=row.last_modified, request=dict(row.request or {}),
                   tags=list(row.tags or []), runtime=dict(row.runtime or {}))


@dataclass(frozen=True)
class WorkerSpec:
    """What one variant instance runs: the model's container resolved to this machine."""

    variant: str
    instance: int
    image: str
    model_data_url: str | None
    environment: dict[str, str]
    weight: float
