"""Batch transform jobs: their states and the stored record."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sagecraft.core.arns import arn


class TransformStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self in (TransformStatus.COMPLETED, TransformStatus.FAILED, TransformStatus.STOPPED)


ACTIVE = (TransformStatus.IN_PROGRESS.value, TransformStatus.STOPPING.value)
LOG_GROUP = "/aws/sagemaker/TransformJobs"
DEFAULT_MAX_PAYLOAD_MB = 6


def transform_arn(region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"transform-job/{name.lower()}")


@dataclass
class TransformJob:
    """A transform job as stored (see schema.transform_jobs)."""

    id: int
    account_id: str
    region: str
    name: str
    arn: str
    status: TransformStatus
    failure_reason: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    request: dict[str, Any]
    tags: list[dict[str, str]]
    runtime: dict[str, Any]
    owner: str

    @classmethod
    def from_row(cls, row: Any) -> TransformJob:
        return cls(
            id=row.id,
            account_id=row.account_id,
            region=row.region,
            name=row.name,
            arn=row.arn,
            status=TransformStatus(row.status),
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            last_modified=row.last_modified,
            started_at=row.started_at,
            ended_at=row.ended_at,
            request=dict(row.request or {}),
            tags=list(row.tags or []),
            runtime=dict(row.runtime or {}),
            owner=row.owner,
        )

    @property
    def instance_type(self) -> str:
        return (self.request.get("TransformResources") or {}).get("InstanceType") or "ml.m5.large"

    @property
    def max_payload_mb(self) -> int:
        value = self.request.get("MaxPayloadInMB")
        return DEFAULT_MAX_PAYLOAD_MB if value is None else int(value)
