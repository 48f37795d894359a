"""Tuning use-cases: create (validated, stored, handed to the reconciler), describe, list, stop.

Nothing here launches a trial: creating a tuning job stores it InProgress and wakes the reconciler
(reconciler.py), which launches the child training jobs through the jobs service. Stopping moves
the tuning job to Stopping with a compare-and-set; the reconciler stops its children.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagecraft.core.paging import page
from sagecraft.services.jobs.service import JobKind, JobsService, objective_values
from sagecraft.services.jobs.validation import check_tags
from sagecraft.services.tuning import definitions, requests, warm_start
from sagecraft.services.tuning import repository as repo
from sagecraft.services.tuning.models import ChildResult, TuningJob, TuningStatus, tuning_arn
from sagecraft.services.tuning.progress import Progress
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
        check_tags(list(request.get("Tags") or []))
        arn = tuning_arn(region, account_id, name)
        # Each definition's children must be valid training jobs (role, buckets, image, channels).
        for definition in definitions.of(request):
            self.jobs.check_training(requests.child_request(request, arn, f"{name}-001-00000000", {},
                                                            definition.name))
        state = {"warm_start": self._warm_start(account_id, region, request)} if request.get("WarmStartConfig") else {}
        now = self.clock()
        stored = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
        values = dict(account_id=account_id, region=region, name=name, arn=arn,
                      status=TuningStatus.IN_PROGRESS.value, created_at=now, last_modified=now, request=stored,
                      trials=[], state=state, tags=list(request.get("Tags") or []), owner=self.owner)
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise _in_use(name)
                job_id = repo.insert_job(db, values)
        except IntegrityError:
            raise _in_use(name) from None
        self._changed(job_id)
        return self.get_by_id(job_id)  # type: ignore[return-value]

    def _warm_start(self, account_id: str, region: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The parents, checked, and their trials that seed the sampler (see warm_start.py)."""
        warm_start.check_count(request)
        parents = []
        for name in warm_start.parent_names(request):
            try:
                parents.append(self.get(account_id, region, name))
            except ResourceNotFound:
                raise ValidationException(f"The parent tuning job {name} does not exist.") from None
        warm_start.check(request, parents)
        seeds = [seed for parent in parents for seed in warm_start.seeds(parent, self.children(parent))]
        return {"parents": [p.name for p in parents], "seeds": seeds}

    def overall_best(self, job: TuningJob) -> tuple[TuningJob, ChildResult] | None:
        """The best trial of a warm-start job and of its parents (theirs included, recursively)."""
        best = Progress(self.children(job), job.maximize).best
        candidates = [(job, best)] if best is not None else []
        for name in (job.state.get("warm_start") or {}).get("parents") or []:
            try:
                found = self.overall_best(self.get(job.account_id, job.region, name))
            except ResourceNotFound:
                continue
            if found is not None:
                candidates.append(found)
        if not candidates:
            return None
        pick = candidates[0]
        for candidate in candidates[1:]:
            value, best_value = candidate[1].objective, pick[1].objective
            if value is not None and best_value is not None and (value > best_value if job.maximize
                                                                   else value < best_value):
                pick = candidate
        return pick

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
            value, metric = None, job.objective_of(trial)["MetricName"]
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

    # -- tags (AddTags / ListTags / DeleteTags on hyper-parameter-tuning-job ARNs) ------------------------

    def find_by_arn(self, arn: str) -> TuningJob:
        with self.store.read() as db:
            job = repo.by_arn(db, _normal_arn(arn))
        if job is None:
            raise _arn_not_found(arn)
        return job

    def add_tags(self, arn: str, tags: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        with self.store.write() as db:  # the row is locked: concurrent tag changes queue, none is lost
            job = repo.by_arn(db, _normal_arn(arn), lock=True)
            if job is None:
                raise _arn_not_found(arn)
            merged = {t["Key"]: t["Value"] for t in job.tags}
            check_tags(list(tags), merged)
            merged.update({t["Key"]: t["Value"] for t in tags})
            result = [{"Key": k, "Value": v} for k, v in merged.items()]
            repo.set_tags(db, job.id, result)
        return result

    def delete_tags(self, arn: str, keys: Sequence[str]) -> None:
        with self.store.write() as db:
            job = repo.by_arn(db, _normal_arn(arn), lock=True)
            if job is None:
                raise _arn_not_found(arn)
            repo.set_tags(db, job.id, [t for t in job.tags if t["Key"] not in set(keys)])

    def _changed(self, job_id: int) -> None:
        for listener in self.listeners:
            listener(job_id)


def _in_use(name: str) -> ResourceInUse:
    return ResourceInUse(f"Hyperparameter tuning job names must be unique within an AWS account and region, and a "
                         f"tuning job with this name already exists ({name})")


def _normal_arn(arn: str) -> str:
    head, sep, resource = arn.rpartition(":")
    return f"{head}{sep}{resource.lower()}"


def _arn_not_found(arn: str) -> ValidationException:
    return ValidationException(f"Resource {arn} not found.")  # the tag operations declare no ResourceNotFound
