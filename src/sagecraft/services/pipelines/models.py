"""Pipelines, executions and execution steps: their states, ARNs and stored records."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from sagecraft.core.arns import arn


class ExecutionStatus(enum.StrEnum):
    EXECUTING = "Executing"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    FAILED = "Failed"
    SUCCEEDED = "Succeeded"

    @property
    def terminal(self) -> bool:
        return self in (ExecutionStatus.STOPPED, ExecutionStatus.FAILED, ExecutionStatus.SUCCEEDED)


ACTIVE = (ExecutionStatus.EXECUTING.value, ExecutionStatus.STOPPING.value)


class StepStatus(enum.StrEnum):
    STARTING = "Starting"
    EXECUTING = "Executing"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    FAILED = "Failed"
    SUCCEEDED = "Succeeded"

    @property
    def terminal(self) -> bool:
        return self in (StepStatus.STOPPED, StepStatus.FAILED, StepStatus.SUCCEEDED)


def pipeline_arn(region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"pipeline/{name.lower()}")


def execution_arn(pipeline: str, execution_id: str) -> str:
    return f"{pipeline}/execution/{execution_id}"


@dataclass
class Pipeline:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    display_name: str | None
    description: str | None
    role_arn: str | None
    definition: str
    parallelism: dict[str, Any] | None
    created_at: dt.datetime
    last_modified: dt.datetime
    last_run_at: dt.datetime | None
    tags: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> Pipeline:
        return cls(
            id=row.id,
            account_id=row.account_id,
            region=row.region,
            name=row.name,
            arn=row.arn,
            display_name=row.display_name,
            description=row.description,
            role_arn=row.role_arn,
            definition=row.definition,
            parallelism=row.parallelism,
            created_at=row.created_at,
            last_modified=row.last_modified,
            last_run_at=row.last_run_at,
            tags=list(row.tags or []),
        )


@dataclass
class Execution:
    id: int
    account_id: str
    region: str
    pipeline_arn: str
    arn: str
    execution_id: str
    display_name: str | None
    description: str | None
    status: ExecutionStatus
    failure_reason: str | None
    definition: str
    parameters: list[dict[str, str]]
    parallelism: dict[str, Any] | None
    created_at: dt.datetime
    last_modified: dt.datetime
    ended_at: dt.datetime | None
    state: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Execution:
        return cls(
            id=row.id,
            account_id=row.account_id,
            region=row.region,
            pipeline_arn=row.pipeline_arn,
            arn=row.arn,
            execution_id=row.execution_id,
            display_name=row.display_name,
            description=row.description,
            status=ExecutionStatus(row.status),
            failure_reason=row.failure_reason,
            definition=row.definition,
            parameters=list(row.parameters or []),
            parallelism=row.parallelism,
            created_at=row.created_at,
            last_modified=row.last_modified,
            ended_at=row.ended_at,
            state=dict(row.state or {}),
        )

    @property
    def pipeline_name(self) -> str:
        return self.state.get("pipeline_name") or self.pipeline_arn.rsplit("/", 1)[-1]

    @property
    def max_parallel(self) -> int:
        return int((self.parallelism or {}).get("MaxParallelExecutionSteps") or 50)


@dataclass
class StepRun:
    """One step of one execution as it ran (or runs): see schema.pipeline_steps."""

    id: int
    execution_arn: str
    pipeline_arn: str
    name: str
    step_type: str
    status: StepStatus
    attempt: int
    failure_reason: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    retry_at: dt.datetime | None
    job: dict[str, Any]
    metadata: dict[str, Any]
    properties: dict[str, Any]
    cache_key: str | None
    cache_source: str | None
    callback_token: str | None

    @classmethod
    def from_row(cls, row: Any) -> StepRun:
        return cls(
            id=row.id,
            execution_arn=row.execution_arn,
            pipeline_arn=row.pipeline_arn,
            name=row.name,
            step_type=row.step_type,
            status=StepStatus(row.status),
            attempt=row.attempt,
            failure_reason=row.failure_reason,
            started_at=row.started_at,
            ended_at=row.ended_at,
            retry_at=row.retry_at,
            job=dict(row.job or {}),
            metadata=dict(row.step_metadata or {}),
            properties=dict(row.properties or {}),
            cache_key=row.cache_key,
            cache_source=row.cache_source,
            callback_token=row.callback_token,
        )
