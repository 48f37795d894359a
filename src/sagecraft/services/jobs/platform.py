"""What running jobs needs from the rest of the server, chosen by the composition root."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sagecraft.executors.base import Executor
from sagecraft.executors.pyenvs import PythonEnvironments
from sagecraft.executors.runtimes import RuntimeRegistry
from sagecraft.services.logs.service import LogsService
from sagecraft.services.sts.service import StsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore


class MetricRecorder(Protocol):
    """The CloudWatch metrics service's ``record`` (training metrics → TrainingJobAnalytics)."""

    def record(self, namespace: str, name: str, dimensions: Mapping[str, str],
               points: Iterable[tuple[dt.datetime, float]], *, account_id: str, region: str) -> None: ...


@dataclass
class Platform:
    store: MetadataStore
    objects: ObjectStore
    executor: Executor
    runtimes: Callable[[], RuntimeRegistry]
    logs: LogsService
    sts: StsService
    endpoint_url: str  # what a job's own boto3 calls reach (AWS_ENDPOINT_URL)
    root: Path  # instance folders live in root/<job id>/algo-<n>
    owner: str  # names this server's executor: jobs it creates are its own to run (see server/jobs.py)
    python_envs: PythonEnvironments | None = None
    ca_bundle: str | None = None  # the server's certificate when it speaks HTTPS (AWS_CA_BUNDLE of jobs)
    metrics: MetricRecorder | None = None
    stop_grace_seconds: float = 5.0  # SIGTERM → SIGKILL on StopTrainingJob (SageMaker allows 120 s)
    checkpoint_interval_seconds: float = 10.0
