"""A training job's metrics while it runs: its MetricDefinitions applied to the first instance's log
lines (metrics.py), the points published to CloudWatch (what TrainingJobAnalytics reads), the last
values kept for FinalMetricDataList."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sagecraft.executors.base import LogLine
from sagecraft.services.jobs.metrics import MetricCollector, record_points
from sagecraft.services.jobs.models import Job, JobKind
from sagecraft.services.jobs.platform import MetricRecorder

log = logging.getLogger("sagecraft.jobs")

OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"  # set by a tuning job on its trials


class TrainingMetrics:
    def __init__(self, job: Job, definitions: list[Mapping[str, str]], recorder: MetricRecorder | None) -> None:
        self.job = job
        self.collector = MetricCollector(definitions)
        self.recorder = recorder
        # A tuning trial's objective metric: every value kept, in order (early stopping compares them).
        self.objective = (job.request.get("HyperParameters") or {}).get(OBJECTIVE_HYPERPARAMETER)
        self.objective_values: list[float] = []

    @classmethod
    def of(cls, job: Job, recorder: MetricRecorder | None) -> TrainingMetrics | None:
        definitions = (job.request.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
        if job.kind is not JobKind.TRAINING or not definitions:
            return None
        return cls(job, definitions, recorder)

    def feed(self, instance_index: int, lines: list[LogLine]) -> None:
        if instance_index != 0 or not lines:  # every instance logs the same metrics: the first one counts
            return
        self.collector.feed_lines((line.timestamp_ms, line.text) for line in lines)
        points = self.collector.drain()
        self.objective_values.extend(p.value for p in points if p.name == self.objective)
        if points and self.recorder is not None:
            try:
                record_points(self.recorder, points, job_name=self.job.name, account_id=self.job.account_id,
                              region=self.job.region)
            except Exception:  # metrics are a side show: never fail the job over them
                log.exception("could not record the metrics of job %s", self.job.name)

    def restore(self, final_metric_data_list: Iterable[Mapping[str, Any]],
                objective_values: Iterable[float] = ()) -> None:
        self.collector.restore(final_metric_data_list)
        self.objective_values = [float(v) for v in objective_values]

    def runtime_record(self) -> dict[str, Any]:
        """What the job's runtime record keeps of its metrics: a tuning trial's objective values."""
        return {"objective_values": list(self.objective_values)} if self.objective else {}

    def final(self) -> list[dict[str, Any]]:
        """FinalMetricDataList, JSON-ready (timestamps as epoch seconds)."""
        return self.collector.final_metric_data_list(json_safe=True)
