"""Jobs use-cases: create (validated, stored, handed to the reconciler), describe, list, stop, tags.

Nothing here runs a job: creating one stores it InProgress/Starting and wakes the reconciler,
which advances it (reconciler.py). Stopping one moves it to Stopping with a compare-and-set; the
reconciler then ends its instances and records Stopped.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceInUse, ValidationException
from sagecraft.executors import toolkit
from sagecraft.services.jobs import repository as repo
from sagecraft.services.jobs.interrupts import request_interrupt
from sagecraft.services.jobs.metrics import builtin_metric_definitions
from sagecraft.services.jobs.models import Job, JobKind, JobStatus, Secondary, add_transition, job_arn
from sagecraft.services.jobs.validation import RequestRules, check_tags
from sagecraft.storage.metadata import MetadataStore

NOUN = {JobKind.TRAINING: "training job", JobKind.PROCESSING: "processing job"}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def not_found(kind: JobKind, name: str) -> ValidationException:
    # What SageMaker answers (not the ResourceNotFound its model declares).
    if kind is JobKind.TRAINING:
        return ValidationException("Requested resource not found.")
    return ValidationException(f"Could not find requested job with name {name}")


class JobsService:
    def __init__(self, store: MetadataStore, rules: RequestRules, owner: str,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.rules = rules
        self.owner = owner  # the reconciler that runs the jobs created here
        self.clock = clock
        self.listeners: list[Callable[[int], None]] = []  # the reconciler's wake-up, called after each change

    # -- create ---------------------------------------------------------------------------------------

    def create(self, account_id: str, region: str, kind: JobKind, request: Mapping[str, Any]) -> Job:
        builtin: list[dict[str, str]] = []
        if kind is JobKind.TRAINING:
            runtime = self.rules.training(request)
            spec = request["AlgorithmSpecification"]
            program = toolkit.decode_hyperparameters(request.get("HyperParameters") or {}).get("sagemaker_program")
            if runtime.algorithm and not program and not spec.get("ContainerEntrypoint"):
                builtin = builtin_metric_definitions(spec["TrainingImage"])  # SageMaker fills these in
        else:
            self.rules.processing(request)
        name = request["TrainingJobName" if kind is JobKind.TRAINING else "ProcessingJobName"]
        now = self.clock()
        stored = _stored_request(kind, request)
        if builtin and not stored["AlgorithmSpecification"]["MetricDefinitions"]:
            stored["AlgorithmSpecification"]["MetricDefinitions"] = builtin
        arn = job_arn(kind, region, account_id, name)
        secondary = Secondary.STARTING if kind is JobKind.TRAINING else None
        transitions = add_transition([], Secondary.STARTING, now.timestamp()) if secondary else []
        values = dict(
            account_id=account_id, region=region, kind=kind.value, name=name, arn=arn,
            status=JobStatus.IN_PROGRESS.value, secondary_status=secondary.value if secondary else None,
            created_at=now, last_modified=now, request=stored, transitions=transitions,
            tags=list(request.get("Tags") or []), runtime={}, owner=self.owner,
        )
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise _in_use(kind, name)
                job_id = repo.insert_job(db, values)
        except IntegrityError:  # created concurrently
            raise _in_use(kind, name) from None
        self._changed(job_id)
        with self.store.read() as db:
            job = repo.by_id(db, job_id)
        assert job is not None
        return job

    def check_training(self, request: Mapping[str, Any]) -> None:
        """Validate a CreateTrainingJob request without creating it (a tuning job's child template)."""
        self.rules.training(request)

    # -- read -----------------------------------------------------------------------------------------

    def get(self, account_id: str, region: str, kind: JobKind, name: str) -> Job:
        with self.store.read() as db:
            job = repo.by_arn(db, job_arn(kind, region, account_id, name))
        if job is None:
            raise not_found(kind, name)
        return job

    def get_by_id(self, job_id: int) -> Job | None:
        with self.store.read() as db:
            return repo.by_id(db, job_id)

    def list(self, query: repo.ListQuery) -> tuple[list[Job], str | None]:
        with self.store.read() as db:
            return repo.list_jobs(db, query)

    # -- stop -----------------------------------------------------------------------------------------

    def stop(self, account_id: str, region: str, kind: JobKind, name: str) -> None:
        for _attempt in range(5):
            job = self.get(account_id, region, kind, name)
            if job.status is JobStatus.STOPPING:
                return  # already on its way
            if job.status is not JobStatus.IN_PROGRESS:
                raise ValidationException(
                    f"The request was rejected because the {NOUN[kind]} is in status {job.status.value}.")
            now = self.clock()
            values: dict[str, Any] = {"status": JobStatus.STOPPING.value, "last_modified": now}
            if kind is JobKind.TRAINING:
                values["secondary_status"] = Secondary.STOPPING.value
                values["transitions"] = add_transition(job.transitions, Secondary.STOPPING, now.timestamp())
            with self.store.write() as db:
                moved = repo.update(db, job.id, JobStatus.IN_PROGRESS.value, values)
            if moved:
                self._changed(job.id)
                return
        raise ValidationException(f"The {NOUN[kind]} {name} changed while it was being stopped; try again.")

    def interrupt(self, account_id: str, region: str, name: str) -> None:
        """Simulate the reclaim of a managed spot training job's instances (see interrupts.py)."""
        self._changed(request_interrupt(self.store, account_id, region, name))

    # -- tags -----------------------------------------------------------------------------------------

    def find_by_arn(self, arn: str) -> Job:
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


def objective_values(job: Job) -> list[float]:
    """Every value a tuning trial reported for its objective metric so far, in order (saved about
    once a second while it runs)."""
    return [float(v) for v in job.runtime.get("objective_values") or []]


def metric_definitions(spec: Mapping[str, Any], hyperparameters: Mapping[str, str]) -> list[dict[str, str]]:
    """The MetricDefinitions a training job with this AlgorithmSpecification reports: the request's,
    else those SageMaker fills in for a built-in algorithm image run without a script."""
    if spec.get("MetricDefinitions"):
        return list(spec["MetricDefinitions"])
    program = toolkit.decode_hyperparameters(hyperparameters).get("sagemaker_program")
    if program or spec.get("ContainerEntrypoint") or not spec.get("TrainingImage"):
        return []
    return builtin_metric_definitions(spec["TrainingImage"])


def _in_use(kind: JobKind, name: str) -> ResourceInUse:
    label = "Training job" if kind is JobKind.TRAINING else "Processing job"
    return ResourceInUse(f"{label} names must be unique within an AWS account and region, and a {NOUN[kind]} "
                         f"with this name already exists ({name})")


def _arn_not_found(arn: str) -> ValidationException:
    return ValidationException(f"Resource {arn} not found.")  # the tag operations declare no ResourceNotFound


def _normal_arn(arn: str) -> str:
    head, sep, resource = arn.rpartition(":")
    return f"{head}{sep}{resource.lower()}"


def _stored_request(kind: JobKind, request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as Describe* echoes it, with SageMaker's defaults filled in."""
    stored = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
    if kind is JobKind.PROCESSING:
        for item in stored.get("ProcessingInputs") or []:
            item.setdefault("AppManaged", False)
            s3 = item.get("S3Input")
            if s3:
                s3.setdefault("S3InputMode", "File")
                s3.setdefault("S3DataDistributionType", "FullyReplicated")
                s3.setdefault("S3CompressionType", "None")
        for item in (stored.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            item.setdefault("AppManaged", False)
        return stored
    stored.setdefault("HyperParameters", {})
    spec = stored["AlgorithmSpecification"]
    spec.setdefault("MetricDefinitions", [])
    output = stored["OutputDataConfig"]
    output.setdefault("KmsKeyId", "")  # the SDK's attach() indexes it; AWS answers ""
    output.setdefault("CompressionType", "GZIP")
    stored["ResourceConfig"].setdefault("InstanceCount", 1)
    stored["ResourceConfig"].setdefault("VolumeSizeInGB", 30)
    stored.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    stored["StoppingCondition"].setdefault("MaxRuntimeInSeconds", 86400)
    for channel in stored.get("InputDataConfig") or []:
        channel.setdefault("CompressionType", "None")
        channel.setdefault("RecordWrapperType", "None")
        s3 = channel["DataSource"]["S3DataSource"]
        s3.setdefault("S3DataDistributionType", "FullyReplicated")
    if stored.get("CheckpointConfig"):
        stored["CheckpointConfig"].setdefault("LocalPath", "/opt/ml/checkpoints")
    for flag in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining"):
        stored.setdefault(flag, False)
    return stored
