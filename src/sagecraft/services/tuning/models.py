"""Hyperparameter tuning jobs: their states and the stored record."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from sagecraft.core.arns import arn


class TuningStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self in (TuningStatus.COMPLETED, TuningStatus.FAILED, TuningStatus.STOPPED)


ACTIVE = (TuningStatus.IN_PROGRESS.value, TuningStatus.STOPPING.value)


def tuning_arn(region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"hyper-parameter-tuning-job/{name.lower()}")


@dataclass
class Trial:
    """One child training job: ``tuned`` as passed to it (strings), ``internal`` the sampler's values,
    ``definition`` the DefinitionName it was launched from (multi-algorithm tuning only)."""

    index: int
    name: str
    tuned: dict[str, str]
    internal: dict[str, Any]
    definition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"index": self.index, "name": self.name, "tuned": self.tuned, "internal": self.internal}
        return {**out, "definition": self.definition} if self.definition is not None else out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        return cls(int(data["index"]), data["name"], dict(data["tuned"]), dict(data.get("internal") or {}),
                   data.get("definition"))


@dataclass
class TuningJob:
    """A tuning job as stored (see schema.tuning_jobs)."""

    id: int
    account_id: str
    region: str
    name: str
    arn: str
    status: TuningStatus
    failure_reason: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    ended_at: dt.datetime | None
    request: dict[str, Any]
    trials: list[Trial] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> TuningJob:
        return cls(
            id=row.id, account_id=row.account_id, region=row.region, name=row.name, arn=row.arn,
            status=TuningStatus(row.status), failure_reason=row.failure_reason, created_at=row.created_at,
            last_modified=row.last_modified, ended_at=row.ended_at, request=row.request or {},
            trials=[Trial.from_dict(t) for t in row.trials or []], state=dict(row.state or {}),
            tags=list(row.tags or []),
        )

    @property
    def config(self) -> dict[str, Any]:
        return self.request["HyperParameterTuningJobConfig"]

    @property
    def limits(self) -> dict[str, Any]:
        return self.config.get("ResourceLimits") or {}

    @property
    def objective(self) -> dict[str, str]:
        """The objective (multi-algorithm: the first definition's; all share its Type)."""
        if self.request.get("TrainingJobDefinitions"):
            return self.request["TrainingJobDefinitions"][0]["TuningObjective"]
        return self.config["HyperParameterTuningJobObjective"]

    def objective_of(self, trial: Trial) -> dict[str, str]:
        """The objective a trial is judged by: its definition's."""
        for definition in self.request.get("TrainingJobDefinitions") or []:
            if definition.get("DefinitionName") == trial.definition:
                return definition["TuningObjective"]
        return self.objective

    @property
    def maximize(self) -> bool:
        return self.objective["Type"] == "Maximize"


@dataclass
class ChildResult:
    """What the tuning job sees of one child: its status and objective value (if it reported one)."""

    trial: Trial
    name: str
    arn: str | None
    status: str  # the training job's status; "Pending" if it does not exist (yet)
    created_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    failure_reason: str | None = None
    objective: float | None = None
    values: list[float] = field(default_factory=list)  # the objective as reported so far (per epoch)

    @property
    def objective_status(self) -> str:
        if self.objective is not None:
            return "Succeeded"
        return "Failed" if self.status in ("Completed", "Failed", "Stopped") else "Pending"
