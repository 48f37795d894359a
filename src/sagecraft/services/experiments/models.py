"""Experiments' domain objects as stored (see schema.experiments and its neighbours), and their ARNs."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sagecraft.core.arns import arn

RESOURCE = {"experiment": "experiment", "trial": "experiment-trial", "component": "experiment-trial-component"}
# SageMaker's trial component names for the jobs that record themselves in an experiment.
JOB_SUFFIX = {"training": "-aws-training-job", "processing": "-aws-processing-job"}
JOB_SOURCE_TYPE = {"training": "SageMakerTrainingJob", "processing": "SageMakerProcessingJob"}


def experiments_arn(kind: str, region: str, account_id: str, name: str) -> str:
    return arn("sagemaker", region, account_id, f"{RESOURCE[kind]}/{name.lower()}")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@dataclass
class Experiment:
    id: int
    name: str
    arn: str
    display_name: str | None
    description: str | None
    source: dict | None
    created_at: dt.datetime
    last_modified: dt.datetime
    tags: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> Experiment:
        return cls(
            row.id,
            row.name,
            row.arn,
            row.display_name,
            row.description,
            row.source,
            row.created_at,
            row.last_modified,
            list(row.tags or []),
        )

    def describe(self) -> dict[str, Any]:
        return _drop_none(
            {
                "ExperimentName": self.name,
                "ExperimentArn": self.arn,
                "DisplayName": self.display_name or self.name,
                "Source": self.source,
                "Description": self.description,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
            }
        )

    def summary(self) -> dict[str, Any]:
        return _drop_none(
            {
                "ExperimentArn": self.arn,
                "ExperimentName": self.name,
                "DisplayName": self.display_name or self.name,
                "ExperimentSource": self.source,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
            }
        )


@dataclass
class Trial:
    id: int
    name: str
    arn: str
    experiment_name: str
    display_name: str | None
    source: dict | None
    metadata_properties: dict | None
    created_at: dt.datetime
    last_modified: dt.datetime
    tags: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any, experiment_name: str) -> Trial:
        return cls(
            row.id,
            row.name,
            row.arn,
            experiment_name,
            row.display_name,
            row.source,
            row.metadata_properties,
            row.created_at,
            row.last_modified,
            list(row.tags or []),
        )

    def describe(self) -> dict[str, Any]:
        return _drop_none(
            {
                "TrialName": self.name,
                "TrialArn": self.arn,
                "DisplayName": self.display_name or self.name,
                "ExperimentName": self.experiment_name,
                "Source": self.source,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
                "MetadataProperties": self.metadata_properties,
            }
        )

    def summary(self) -> dict[str, Any]:
        return _drop_none(
            {
                "TrialArn": self.arn,
                "TrialName": self.name,
                "DisplayName": self.display_name or self.name,
                "TrialSource": self.source,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
            }
        )


@dataclass
class MetricSummary:
    metric_name: str
    count: int
    total: float
    total_squares: float
    minimum: float
    maximum: float
    last: float
    last_timestamp: float

    def add(self, value: float, timestamp: float) -> None:
        self.count += 1
        self.total += value
        self.total_squares += value * value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        if timestamp >= self.last_timestamp:  # a late-arriving older point does not become Last
            self.last, self.last_timestamp = value, timestamp

    def wire(self, source_arn: str | None) -> dict[str, Any]:
        avg = self.total / self.count
        # Sample standard deviation (n - 1), as SageMaker reports it; one value has none.
        spread = (self.total_squares - self.count * avg * avg) / (self.count - 1) if self.count > 1 else 0.0
        return _drop_none(
            {
                "MetricName": self.metric_name,
                "SourceArn": source_arn,
                "TimeStamp": dt.datetime.fromtimestamp(self.last_timestamp, dt.timezone.utc),
                "Max": self.maximum,
                "Min": self.minimum,
                "Last": self.last,
                "Count": self.count,
                "Avg": avg,
                "StdDev": math.sqrt(max(spread, 0.0)),
            }
        )


@dataclass
class TrialComponent:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    display_name: str | None
    status: dict | None
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    parameters: dict[str, dict]
    input_artifacts: dict[str, dict]
    output_artifacts: dict[str, dict]
    metadata_properties: dict | None
    source_arn: str | None
    source_type: str | None
    created_at: dt.datetime
    last_modified: dt.datetime
    tags: list[dict[str, str]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)  # wire summaries, filled on read
    parents: list[dict[str, str]] = field(default_factory=list)  # [{TrialName, ExperimentName}], filled on read

    @classmethod
    def from_row(cls, row: Any) -> TrialComponent:
        return cls(
            row.id,
            row.account_id,
            row.region,
            row.name,
            row.arn,
            row.display_name,
            row.status,
            row.start_time,
            row.end_time,
            dict(row.parameters or {}),
            dict(row.input_artifacts or {}),
            dict(row.output_artifacts or {}),
            row.metadata_properties,
            row.source_arn,
            row.source_type,
            row.created_at,
            row.last_modified,
            list(row.tags or []),
        )

    @property
    def source(self) -> dict[str, str] | None:
        if not self.source_arn:
            return None
        return {"SourceArn": self.source_arn, "SourceType": self.source_type or ""}

    def describe(self) -> dict[str, Any]:
        return _drop_none(
            {
                "TrialComponentName": self.name,
                "TrialComponentArn": self.arn,
                "DisplayName": self.display_name or self.name,
                "Source": self.source,
                "Status": self.status,
                "StartTime": self.start_time,
                "EndTime": self.end_time,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
                "Parameters": self.parameters,
                "InputArtifacts": self.input_artifacts,
                "OutputArtifacts": self.output_artifacts,
                "MetadataProperties": self.metadata_properties,
                "Metrics": self.metrics,
            }
        )

    def summary(self) -> dict[str, Any]:
        return _drop_none(
            {
                "TrialComponentName": self.name,
                "TrialComponentArn": self.arn,
                "DisplayName": self.display_name or self.name,
                "TrialComponentSource": self.source,
                "Status": self.status,
                "StartTime": self.start_time,
                "EndTime": self.end_time,
                "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified,
            }
        )

    def search_record(self) -> dict[str, Any]:
        return {**self.describe(), "Tags": self.tags, "Parents": self.parents}
