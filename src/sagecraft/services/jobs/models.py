"""Training and processing jobs: their states, status messages and the stored record."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from sagecraft.core.arns import arn
from sagecraft.executors.base import JobKind

__all__ = ["SUMMARY_TERMINAL", "Job", "JobKind", "JobStatus", "Secondary", "Transition", "job_arn"]


class JobStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED)


SUMMARY_TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED})
ACTIVE = (JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)


class Secondary(enum.StrEnum):
    """A training job's SecondaryStatus (processing jobs have none)."""

    STARTING = "Starting"
    DOWNLOADING = "Downloading"
    TRAINING = "Training"
    UPLOADING = "Uploading"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    MAX_RUNTIME_EXCEEDED = "MaxRuntimeExceeded"
    MAX_WAIT_TIME_EXCEEDED = "MaxWaitTimeExceeded"
    COMPLETED = "Completed"
    FAILED = "Failed"
    INTERRUPTED = "Interrupted"
    RESTARTING = "Restarting"


# What SageMaker says in SecondaryStatusTransitions[].StatusMessage (the SDK prints them).
MESSAGES: dict[Secondary, str] = {
    Secondary.STARTING: "Preparing the instances for training",
    Secondary.DOWNLOADING: "Downloading input data",
    Secondary.TRAINING: "Training image download completed. Training in progress.",
    Secondary.UPLOADING: "Uploading generated training model",
    Secondary.STOPPING: "Stopping the training job",
    Secondary.STOPPED: "Training job stopped",
    Secondary.MAX_RUNTIME_EXCEEDED: "Training job exceeded MaxRuntimeInSeconds provided",
    Secondary.MAX_WAIT_TIME_EXCEEDED: "Training job exceeded MaxWaitTimeInSeconds provided",
    Secondary.COMPLETED: "Training job completed",
    Secondary.FAILED: "Training job failed",
    Secondary.INTERRUPTED: "Training job interrupted: the spot instance was reclaimed",
    Secondary.RESTARTING: "Restarting the training job from its checkpoints",
}


def job_arn(kind: JobKind, region: str, account_id: str, name: str) -> str:
    # SageMaker lower-cases resource names in ARNs, so names are unique regardless of case.
    return arn("sagemaker", region, account_id, f"{kind.value}-job/{name.lower()}")


@dataclass
class Transition:
    status: str
    start: float  # epoch seconds
    end: float | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"Status": self.status, "StartTime": self.start, "EndTime": self.end, "StatusMessage": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transition:
        return cls(data["Status"], data["StartTime"], data.get("EndTime"), data.get("StatusMessage") or "")


def add_transition(transitions: list[dict[str, Any]], status: Secondary, now: float,
                   message: str | None = None) -> list[dict[str, Any]]:
    """The list with the open transition closed at ``now`` and ``status`` opened (terminal ones stay open
    ended, as SageMaker shows Completed/Failed/Stopped with an EndTime equal to their StartTime)."""
    out = [dict(t) for t in transitions]
    if out and out[-1].get("EndTime") is None:
        out[-1]["EndTime"] = now
    entry = Transition(status.value, now, None, message if message is not None else MESSAGES.get(status, ""))
    if status in (Secondary.COMPLETED, Secondary.FAILED, Secondary.STOPPED, Secondary.MAX_RUNTIME_EXCEEDED,
                  Secondary.MAX_WAIT_TIME_EXCEEDED):
        entry.end = now
    out.append(entry.to_dict())
    return out


@dataclass
class Job:
    """A job as stored (see schema.jobs)."""

    id: int
    account_id: str
    region: str
    kind: JobKind
    name: str
    arn: str
    status: JobStatus
    secondary_status: str | None
    failure_reason: str | None
    exit_message: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    billable_seconds: int | None
    model_artifacts: str | None
    request: dict[str, Any]
    transitions: list[dict[str, Any]] = field(default_factory=list)
    final_metrics: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    runtime: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Job:
        return cls(
            id=row.id, account_id=row.account_id, region=row.region, kind=JobKind(row.kind), name=row.name,
            arn=row.arn, status=JobStatus(row.status), secondary_status=row.secondary_status,
            failure_reason=row.failure_reason, exit_message=row.exit_message, created_at=row.created_at,
            last_modified=row.last_modified, started_at=row.started_at, ended_at=row.ended_at,
            billable_seconds=row.billable_seconds, model_artifacts=row.model_artifacts, request=row.request or {},
            transitions=list(row.transitions or []), final_metrics=list(row.final_metrics or []),
            tags=list(row.tags or []), runtime=dict(row.runtime or {}),
        )

    @property
    def instance_count(self) -> int:
        if self.kind is JobKind.TRAINING:
            return int((self.request.get("ResourceConfig") or {}).get("InstanceCount") or 1)
        cluster = (self.request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        return int(cluster.get("InstanceCount") or 1)

    @property
    def instance_type(self) -> str:
        if self.kind is JobKind.TRAINING:
            return (self.request.get("ResourceConfig") or {}).get("InstanceType") or "ml.m5.large"
        cluster = (self.request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        return cluster.get("InstanceType") or "ml.m5.large"

    @property
    def image(self) -> str:
        if self.kind is JobKind.TRAINING:
            return (self.request.get("AlgorithmSpecification") or {}).get("TrainingImage") or ""
        return (self.request.get("AppSpecification") or {}).get("ImageUri") or ""

    @property
    def stopping_condition(self) -> dict[str, Any]:
        return dict(self.request.get("StoppingCondition") or {})

    @property
    def network_isolation(self) -> bool:
        if self.kind is JobKind.TRAINING:
            return bool(self.request.get("EnableNetworkIsolation"))
        return bool((self.request.get("NetworkConfig") or {}).get("EnableNetworkIsolation"))

    @property
    def spot(self) -> bool:
        return self.kind is JobKind.TRAINING and bool(self.request.get("EnableManagedSpotTraining"))
