"""Tuning use-cases: create (validated, stored, handed to the reconciler), describe, list, stop.

Nothing here launches a trial: creating a tuning job stores it InProgress and wakes the reconciler
(reconciler.py), which launches the child training jobs through the jobs service. Stopping moves
the tuning job to Stopping with a compare-and-set; the reconciler stops its children.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagecraft.services.jobs.service import JobKind, JobsService, objective_values
from sagecraft.services.tuning import repository as repo
from sagecraft.services.tuning import requests
from sagecraft.services.tuning.models import ChildResult, TuningJob, TuningStatus, tuning_arn
from sagecraft.storage.metadata import MetadataStore

SORT_KEYS = ("Name", "Status", "CreationTime")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TuningService:
    def __init__(self, store: MetadataStore, jobs: JobsService, owner: str,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.jobs = jobs
        self.owner = owner
        self.clock = clock
        self.listeners: list[Callable[[int], None]] = []

    def create(self, account_id: str, region: str, request: Mapping[str, Any]) -> TuningJob:
        name = request["HyperParameterTuningJobName"]
        requests.check(request)
        arn = tuning_arn(region, account_id, name)
        # The children's template must be a valid training job (role, buckets, image, channels).
        self.jobs.check_training(requests.child_request(request, arn, f"{name}-001-00000000", {}))
        now = self.clock()
        stored = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
        values = dict(account_id=account_id, region=region, name=name, arn=arn,
                      status=TuningStatus.IN_PROGRESS.value, created_at=now, last_modified=now, request=stored,
                      trials=[], state={}, tags=list(request.get("Tags") or []), owner=self.owner)
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise _in_use(name)
                job_id = repo.insert_job(db, values)
        except IntegrityError:
            raise _in_use(name) from None
        self._changed(job_id)
        return self.get_by_id(job_id)  # type: ignore[return-value]

    def get(self, account_id: str, region: str, name: str) -> TuningJob:
        with self.store.read() as db:
            job = repo.by_arn(db, tuning_arn(region, account_id, name))
        if job is None:
            raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
        return job

    def get_by_id(self, job_id: int) -> TuningJob | None:
        with self.store.read() as db:
            return repo.by_id(db, job_id)

    def stop(self, account_id: str, region: str, name: str) -> None:
        for _attempt in range(5):
            job = self.get(account_id, region, name)
            if job.status is TuningStatus.STOPPING:
                return
            if job.status is not TuningStatus.IN_PROGRESS:
                raise ValidationException(
                    f"The request was rejected because the tuning job is in status {job.status.value}.")
            with self.store.write() as db:
                moved = repo.update(db, job.id, job.status.value,
                                    {"status": TuningStatus.STOPPING.value, "last_modified": self.clock()})
            if moved:
                self._changed(job.id)
                return
        raise ValidationException(f"The tuning job {name} changed while it was being stopped; try again.")

    def children(self, job: TuningJob) -> list[ChildResult]:
        """Each trial's training job as it is now, with its objective value once it reported one."""
        metric = job.objective["MetricName"]
        rejected = job.state.get("rejected") or {}
        early = set(job.state.get("early_stopped") or [])  # their last objective value counts
        out = []
        for trial in job.trials:
            if trial.name in rejected:  # its training job could not be created
                out.append(ChildResult(trial, trial.name, None, "Failed", failure_reason=rejected[trial.name]))
                continue
            try:
                child = self.jobs.get(job.account_id, job.region, JobKind.TRAINING, trial.name)
            except ValidationException:  # recorded, not created yet
                out.append(ChildResult(trial, trial.name, None, "Pending"))
                continue
            value = None
            if child.status.value == "Completed" or (child.status.value == "Stopped" and trial.name in early):
                value = next((float(m["Value"]) for m in child.final_metrics if m["MetricName"] == metric), None)
            out.append(ChildResult(trial, child.name, child.arn, child.status.value, child.created_at,
                                   child.started_at, child.ended_at, child.failure_reason, value,
                                   objective_values(child)))
        return out

    def list(self, account_id: str, region: str, params: Mapping[str, Any]) -> tuple[list[TuningJob], str | None]:
        with self.store.read() as db:
            found = repo.in_region(db, account_id, region)
        needle = (params.get("NameContains") or "").lower()
        status = params.get("StatusEquals")
        bounds = [("CreationTimeAfter", "created_at", True), ("CreationTimeBefore", "created_at", False),
                  ("LastModifiedTimeAfter", "last_modified", True), ("LastModifiedTimeBefore", "last_modified", False)]
        selected = []
        for job in found:
            if needle not in job.name.lower() or (status and job.status.value != status):
                continue
            if any(params.get(key) is not None and not ((getattr(job, attr) > params[key]) if after
                                                        else (getattr(job, attr) < params[key]))
                   for key, attr, after in bounds):
                continue
            selected.append(job)
        sort_by = params.get("SortBy") or "Name"
        key = {"Name": lambda j: j.name, "Status": lambda j: j.status.value,
               "CreationTime": lambda j: j.created_at}[sort_by]
        selected.sort(key=lambda j: (key(j), j.id), reverse=(params.get("SortOrder") or "Ascending") == "Descending")
        return page(selected, params, f"tuning:{sort_by}")

    def _changed(self, job_id: int) -> None:
        for listener in self.listeners:
            listener(job_id)


def page(items: list, params: Mapping[str, Any], scope: str, default_size: int = 10) -> tuple[list, str | None]:
    """One page of an in-memory listing; the token is the offset, tied to the listing's sort."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            if data["s"] != scope:
                raise ValueError
            start = int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("Invalid pagination token: NextToken was not issued for this request.") \
                from None
    size = params.get("MaxResults") or default_size
    chunk = items[start:start + size]
    if start + size >= len(items):
        return chunk, None
    raw = json.dumps({"s": scope, "o": start + size}, separators=(",", ":")).encode()
    return chunk, base64.urlsafe_b64encode(raw).decode()


def _in_use(name: str) -> ResourceInUse:
    return ResourceInUse(f"Hyperparameter tuning job names must be unique within an AWS account and region, and a "
                         f"tuning job with this name already exists ({name})")
