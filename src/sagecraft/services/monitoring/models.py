"""Model Monitor's domain objects: job definitions, monitoring schedules and executions."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sagecraft.core.arns import arn


class DefinitionKind(enum.Enum):
    DATA_QUALITY = "DataQuality"
    MODEL_QUALITY = "ModelQuality"

    @property
    def arn_type(self) -> str:
        return "data-quality-job-definition" if self is DefinitionKind.DATA_QUALITY else \
            "model-quality-job-definition"

    @property
    def prefix(self) -> str:
        """The request's member prefix: DataQualityAppSpecification, ModelQualityJobInput…"""
        return self.value


class ScheduleStatus(enum.Enum):
    PENDING = "Pending"
    SCHEDULED = "Scheduled"
    STOPPED = "Stopped"
    FAILED = "Failed"


class ExecutionStatus(enum.Enum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


ACTIVE_EXECUTIONS = (ExecutionStatus.PENDING.value, ExecutionStatus.IN_PROGRESS.value,
                     ExecutionStatus.STOPPING.value)


def definition_arn(kind: DefinitionKind, region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"{kind.arn_type}/{name.lower()}")


def schedule_arn(region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"monitoring-schedule/{name.lower()}")


@dataclass
class JobDefinition:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    kind: DefinitionKind
    created_at: dt.datetime
    request: dict[str, Any]
    tags: list

    @classmethod
    def from_row(cls, row: Any) -> JobDefinition:
        return cls(row.id, row.account_id, row.region, row.name, row.arn, DefinitionKind(row.kind), row.created_at,
                   dict(row.request), list(row.tags or []))

    def part(self, member: str) -> Any:
        """A member of the create request by its suffix: part("JobInput") → DataQualityJobInput."""
        return self.request.get(f"{self.kind.prefix}{member}")


@dataclass
class MonitoringSchedule:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    status: ScheduleStatus
    monitoring_type: str
    endpoint_name: str | None
    job_definition_name: str | None
    config: dict[str, Any]
    failure_reason: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    next_run_at: dt.datetime | None
    tags: list

    @classmethod
    def from_row(cls, row: Any) -> MonitoringSchedule:
        return cls(row.id, row.account_id, row.region, row.name, row.arn, ScheduleStatus(row.status),
                   row.monitoring_type, row.endpoint_name, row.job_definition_name, dict(row.config),
                   row.failure_reason, row.created_at, row.last_modified, row.next_run_at, list(row.tags or []))

    @property
    def expression(self) -> str:
        return str((self.config.get("ScheduleConfig") or {}).get("ScheduleExpression") or "")


@dataclass
class Execution:
    id: int
    schedule_id: int
    account_id: str
    region: str
    schedule_name: str
    endpoint_name: str | None
    job_definition_name: str | None
    monitoring_type: str
    status: ExecutionStatus
    scheduled_at: dt.datetime
    created_at: dt.datetime
    last_modified: dt.datetime
    processing_job_name: str | None
    processing_job_arn: str | None
    output_uri: str | None
    failure_reason: str | None

    @classmethod
    def from_row(cls, row: Any) -> Execution:
        return cls(row.id, row.schedule_id, row.account_id, row.region, row.schedule_name, row.endpoint_name,
                   row.job_definition_name, row.monitoring_type, ExecutionStatus(row.status), row.scheduled_at,
                   row.created_at, row.last_modified, row.processing_job_name, row.processing_job_arn,
                   row.output_uri, row.failure_reason)

    def summary(self) -> dict[str, Any]:
        """A MonitoringExecutionSummary (ListMonitoringExecutions, LastMonitoringExecutionSummary)."""
        out = {
            "MonitoringScheduleName": self.schedule_name, "ScheduledTime": self.scheduled_at,
            "CreationTime": self.created_at, "LastModifiedTime": self.last_modified,
            "MonitoringExecutionStatus": self.status.value, "ProcessingJobArn": self.processing_job_arn,
            "EndpointName": self.endpoint_name, "FailureReason": self.failure_reason,
            "MonitoringJobDefinitionName": self.job_definition_name, "MonitoringType": self.monitoring_type,
        }
        return {k: v for k, v in out.items() if v is not None}
