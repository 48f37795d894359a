"""Model Monitor use-cases: job definitions, monitoring schedules (create, update, stop, start,
delete) and their executions. The scheduler thread (scheduler.py) starts due executions and
follows them; ``run_now`` starts one at once (``sagecraft monitor run``)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import AwsError, ResourceInUse, ResourceNotFound, ValidationException
from sagecraft.services.jobs.models import JobKind, JobStatus
from sagecraft.services.jobs.service import JobsService
from sagecraft.services.monitoring import cron, executions
from sagecraft.services.monitoring import repository as repo
from sagecraft.services.monitoring.executions import CaptureTarget
from sagecraft.services.monitoring.models import (
    DefinitionKind,
    Execution,
    ExecutionStatus,
    JobDefinition,
    MonitoringSchedule,
    ScheduleStatus,
    definition_arn,
    schedule_arn,
)
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore, StoreError

SUPPORTED_TYPES = {"DataQuality": DefinitionKind.DATA_QUALITY, "ModelQuality": DefinitionKind.MODEL_QUALITY}
log = logging.getLogger("sagecraft.monitoring")
CaptureLookup = Callable[[str, str, str], CaptureTarget]  # (account, region, endpoint) → where it captures


MAX_TAGS = 50  # SageMaker's limit of tags per resource


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class MonitoringService:
    def __init__(self, store: MetadataStore, jobs: JobsService, objects: ObjectStore, capture: CaptureLookup,
                 owner: str, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.jobs = jobs
        self.objects = objects
        self.capture = capture
        self.owner = owner
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []  # the scheduler's wake-up

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # -- job definitions ------------------------------------------------------------------------------

    def create_definition(self, account_id: str, region: str, kind: DefinitionKind,
                          request: Mapping[str, Any]) -> JobDefinition:
        name = request["JobDefinitionName"]
        prefix = kind.prefix
        job_input = request.get(f"{prefix}JobInput") or {}
        if not job_input.get("EndpointInput"):
            raise ValidationException(f"{prefix}JobInput.BatchTransformInput is not supported by Sagecraft yet: "
                                      "monitor an endpoint's captured data (EndpointInput).")
        outputs = (request.get(f"{prefix}JobOutputConfig") or {}).get("MonitoringOutputs") or []
        if len(outputs) != 1:
            raise ValidationException(f"{prefix}JobOutputConfig.MonitoringOutputs must hold exactly one output.")
        if kind is DefinitionKind.MODEL_QUALITY:
            problem = (request.get("ModelQualityAppSpecification") or {}).get("ProblemType")
            if problem not in ("BinaryClassification", "MulticlassClassification", "Regression"):
                raise ValidationException("ModelQualityAppSpecification.ProblemType must be BinaryClassification, "
                                          "MulticlassClassification or Regression.")
            if not (job_input.get("GroundTruthS3Input") or {}).get("S3Uri"):
                raise ValidationException("ModelQualityJobInput.GroundTruthS3Input.S3Uri is required.")
        baseline = request.get(f"{prefix}BaselineConfig") or {}
        for member in ("ConstraintsResource", "StatisticsResource"):
            uri = (baseline.get(member) or {}).get("S3Uri")
            if uri:
                self._require_objects(uri, f"{prefix}BaselineConfig.{member}.S3Uri")
        arn = definition_arn(kind, region, account_id, name)
        values = dict(account_id=account_id, region=region, name=name, arn=arn, kind=kind.value,
                      created_at=self.clock(), request={k: v for k, v in request.items() if k != "Tags"},
                      tags=list(request.get("Tags") or []))
        try:
            with self.store.write() as db:
                if self._any_definition(db, account_id, region, name) is not None:
                    raise ResourceInUse(f"Job definition with name {name} already exists.")
                definition_id = repo.insert_definition(db, values)
        except IntegrityError:
            raise ResourceInUse(f"Job definition with name {name} already exists.") from None
        return JobDefinition(definition_id, account_id, region, name, arn, kind, values["created_at"],
                             values["request"], values["tags"])

    @staticmethod
    def _any_definition(db: Any, account_id: str, region: str, name: str) -> JobDefinition | None:
        for kind in DefinitionKind:
            found = repo.definition_by_arn(db, definition_arn(kind, region, account_id, name))
            if found is not None:
                return found
        return None

    def _require_objects(self, uri: str, what: str) -> None:
        if not uri.startswith("s3://"):
            raise ValidationException(f"{what} must be an s3:// URI, not {uri!r}.")
        bucket, key = executions.split_uri(uri)
        try:
            page = self.objects.list_objects(bucket, prefix=key, max_keys=1)
        except StoreError:
            page = None
        if page is None or not page.objects:
            raise ValidationException(f"No S3 objects found under S3 URL \"{uri}\" given in {what}. Please ensure "
                                      "that the bucket exists and that objects exist under that S3 prefix.")

    def get_definition(self, account_id: str, region: str, kind: DefinitionKind, name: str) -> JobDefinition:
        with self.store.read() as db:
            found = repo.definition_by_arn(db, definition_arn(kind, region, account_id, name))
        if found is None:
            raise ResourceNotFound(f"Could not find job definition {name}.")
        return found

    def list_definitions(self, account_id: str, region: str, kind: DefinitionKind) -> list[JobDefinition]:
        with self.store.read() as db:
            return repo.definitions(db, account_id, region, kind.value)

    def delete_definition(self, account_id: str, region: str, kind: DefinitionKind, name: str) -> None:
        with self.store.write() as db:
            found = repo.definition_by_arn(db, definition_arn(kind, region, account_id, name))
            if found is None:
                raise ResourceNotFound(f"Could not find job definition {name}.")
            users = repo.schedules_using(db, account_id, region, name)
            if users:
                raise ResourceInUse(f"Job definition {name} is used by the monitoring schedule(s) "
                                    f"{', '.join(users)}: delete them first.")
            repo.delete_definition(db, found.id)

    # -- schedules ------------------------------------------------------------------------------------

    def _resolve(self, account_id: str, region: str, config: Mapping[str, Any]) -> tuple[str, JobDefinition, str]:
        """Validate a MonitoringScheduleConfig: (monitoring type, job definition, endpoint name)."""
        if config.get("MonitoringJobDefinition"):
            raise ValidationException("MonitoringScheduleConfig.MonitoringJobDefinition (an inline job definition) "
                                      "is not supported by Sagecraft yet: create a data-quality or model-quality "
                                      "job definition and name it in MonitoringJobDefinitionName.")
        monitoring_type = config.get("MonitoringType") or "DataQuality"
        if monitoring_type not in SUPPORTED_TYPES:
            raise ValidationException(f"MonitoringType {monitoring_type} is not supported by Sagecraft yet: "
                                      "DataQuality and ModelQuality are.")
        schedule_config = config.get("ScheduleConfig") or {}
        expression = schedule_config.get("ScheduleExpression") or ""
        parsed = cron.parse(expression)
        if parsed.one_time:
            for member in ("DataAnalysisStartTime", "DataAnalysisEndTime"):
                if not schedule_config.get(member):
                    raise ValidationException(f"ScheduleConfig.{member} is required for a one-time (NOW) schedule.")
                cron.offset(schedule_config[member], member)
        name = config.get("MonitoringJobDefinitionName")
        if not name:
            raise ValidationException("MonitoringScheduleConfig.MonitoringJobDefinitionName is required.")
        with self.store.read() as db:
            definition = repo.definition_by_arn(
                db, definition_arn(SUPPORTED_TYPES[monitoring_type], region, account_id, name))
        if definition is None:
            raise ValidationException(f"Could not find {monitoring_type} job definition {name}.")
        endpoint_input = definition.part("JobInput").get("EndpointInput") or {}
        for member in ("StartTimeOffset", "EndTimeOffset"):
            if endpoint_input.get(member):
                cron.offset(endpoint_input[member], member)
        endpoint = endpoint_input.get("EndpointName") or ""
        self.capture(account_id, region, endpoint)  # the endpoint exists and captures data, or this raises
        return monitoring_type, definition, endpoint

    def _first_run(self, config: Mapping[str, Any], now: dt.datetime) -> dt.datetime | None:
        parsed = cron.parse((config.get("ScheduleConfig") or {}).get("ScheduleExpression") or "")
        return now if parsed.one_time else parsed.next_after(now)

    def create_schedule(self, account_id: str, region: str, request: Mapping[str, Any]) -> MonitoringSchedule:
        name = request["MonitoringScheduleName"]
        config = dict(request["MonitoringScheduleConfig"])
        arn = schedule_arn(region, account_id, name)
        with self.store.read() as db:
            if repo.schedule_by_arn(db, arn) is not None:
                raise ResourceInUse(f"Monitoring schedule {name} already exists.")
        monitoring_type, definition, endpoint = self._resolve(account_id, region, config)
        config.setdefault("MonitoringType", monitoring_type)
        now = self.clock()
        values = dict(account_id=account_id, region=region, name=name, arn=arn, status=ScheduleStatus.PENDING.value,
                      monitoring_type=monitoring_type, endpoint_name=endpoint, job_definition_name=definition.name,
                      config=config, created_at=now, last_modified=now, next_run_at=self._first_run(config, now),
                      tags=list(request.get("Tags") or []), owner=self.owner)
        try:
            with self.store.write() as db:
                if repo.schedule_by_arn(db, arn) is not None:
                    raise ResourceInUse(f"Monitoring schedule {name} already exists.")
                schedule_id = repo.insert_schedule(db, values)
        except IntegrityError:
            raise ResourceInUse(f"Monitoring schedule {name} already exists.") from None
        self._changed()
        return self._schedule_by_id(schedule_id)

    def _schedule_by_id(self, schedule_id: int) -> MonitoringSchedule:
        with self.store.read() as db:
            found = repo.schedule_by_id(db, schedule_id)
        if found is None:
            raise ResourceNotFound("The monitoring schedule was deleted.")
        return found

    def get_schedule(self, account_id: str, region: str, name: str) -> MonitoringSchedule:
        with self.store.read() as db:
            found = repo.schedule_by_arn(db, schedule_arn(region, account_id, name))
        if found is None:
            raise ResourceNotFound(f"Monitoring Schedule {schedule_arn(region, account_id, name)} does not exist.")
        return found

    # -- tags (AddTags / ListTags / DeleteTags on schedule and job definition ARNs) -------------------

    def tags_of(self, arn: str) -> list[dict[str, str]]:
        with self.store.read() as db:
            found = repo.schedule_by_arn(db, arn) or repo.definition_by_arn(db, arn)
        if found is None:
            raise ResourceNotFound(f"Resource {arn} does not exist.")
        return list(found.tags)

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        merged = {t["Key"]: t for t in self.tags_of(arn)} | {t["Key"]: t for t in tags}
        if len(merged) > MAX_TAGS:
            raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
        with self.store.write() as db:
            repo.set_tags(db, arn, list(merged.values()))
        return tags

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        kept = [t for t in self.tags_of(arn) if t["Key"] not in set(keys)]
        with self.store.write() as db:
            repo.set_tags(db, arn, kept)

    def list_schedules(self, account_id: str, region: str) -> list[MonitoringSchedule]:
        with self.store.read() as db:
            return repo.schedules(db, account_id, region)

    def update_schedule(self, account_id: str, region: str, request: Mapping[str, Any]) -> MonitoringSchedule:
        schedule = self.get_schedule(account_id, region, request["MonitoringScheduleName"])
        config = dict(request["MonitoringScheduleConfig"])
        monitoring_type, definition, endpoint = self._resolve(account_id, region, config)
        config.setdefault("MonitoringType", monitoring_type)
        now = self.clock()
        status = ScheduleStatus.STOPPED if schedule.status is ScheduleStatus.STOPPED else ScheduleStatus.PENDING
        with self.store.write() as db:
            repo.update_schedule(db, schedule.id, dict(
                config=config, monitoring_type=monitoring_type, endpoint_name=endpoint,
                job_definition_name=definition.name, status=status.value, last_modified=now, failure_reason=None,
                next_run_at=None if status is ScheduleStatus.STOPPED else self._first_run(config, now)))
        self._changed()
        return self._schedule_by_id(schedule.id)

    def stop_schedule(self, account_id: str, region: str, name: str) -> None:
        schedule = self.get_schedule(account_id, region, name)
        with self.store.write() as db:
            repo.update_schedule(db, schedule.id, {"status": ScheduleStatus.STOPPED.value, "next_run_at": None,
                                                   "last_modified": self.clock()})

    def start_schedule(self, account_id: str, region: str, name: str) -> None:
        schedule = self.get_schedule(account_id, region, name)
        if schedule.status is not ScheduleStatus.STOPPED:
            return
        now = self.clock()
        parsed = cron.parse(schedule.expression)
        with self.store.write() as db:
            ran = bool(repo.executions_of(db, schedule.id))
            next_run = (None if ran else now) if parsed.one_time else parsed.next_after(now)
            repo.update_schedule(db, schedule.id, {"status": ScheduleStatus.SCHEDULED.value, "next_run_at": next_run,
                                                   "last_modified": now})
        self._changed()

    def delete_schedule(self, account_id: str, region: str, name: str) -> None:
        schedule = self.get_schedule(account_id, region, name)
        with self.store.write() as db:
            repo.delete_schedule(db, schedule.id)

    # -- executions -----------------------------------------------------------------------------------

    def executions(self, account_id: str, region: str) -> list[Execution]:
        with self.store.read() as db:
            return repo.executions(db, account_id, region)

    def latest_execution(self, schedule: MonitoringSchedule) -> Execution | None:
        with self.store.read() as db:
            found = repo.executions_of(db, schedule.id)
        return found[-1] if found else None

    def run_now(self, account_id: str, region: str, name: str) -> Execution:
        """Start an execution at once, over the window ending now (``sagecraft monitor run``)."""
        schedule = self.get_schedule(account_id, region, name)
        return self.launch(schedule, self.clock(), manual=True)

    def launch(self, schedule: MonitoringSchedule, scheduled: dt.datetime, manual: bool = False) -> Execution:
        now = self.clock()
        values = dict(schedule_id=schedule.id, account_id=schedule.account_id, region=schedule.region,
                      schedule_name=schedule.name, endpoint_name=schedule.endpoint_name,
                      job_definition_name=schedule.job_definition_name, monitoring_type=schedule.monitoring_type,
                      status=ExecutionStatus.PENDING.value, scheduled_at=scheduled, created_at=now, last_modified=now)
        with self.store.write() as db:
            execution_id = repo.insert_execution(db, values)
        try:
            update = self._start_job(schedule, scheduled, manual)
        except AwsError as error:
            update = {"status": ExecutionStatus.FAILED.value, "failure_reason": str(error)}
        except Exception:  # e.g. the object store: the execution fails rather than stay Pending
            log.exception("could not start an execution of monitoring schedule %s", schedule.name)
            update = {"status": ExecutionStatus.FAILED.value,
                      "failure_reason": "InternalFailure: the execution could not be started."}
        with self.store.write() as db:
            repo.update_execution(db, execution_id, ExecutionStatus.PENDING.value,
                                  {**update, "last_modified": self.clock()})
            found = repo.execution_by_id(db, execution_id)
        assert found is not None
        self._changed()
        return found

    def _start_job(self, schedule: MonitoringSchedule, scheduled: dt.datetime, manual: bool) -> dict[str, Any]:
        kind = SUPPORTED_TYPES[schedule.monitoring_type]
        definition = self.get_definition(schedule.account_id, schedule.region, kind, schedule.job_definition_name or "")
        target = self.capture(schedule.account_id, schedule.region, schedule.endpoint_name or "")
        start, end = executions.window(schedule, definition, scheduled)
        prefixes = executions.capture_prefixes(self.objects, target, start, end)
        if not prefixes:
            return {"status": ExecutionStatus.FAILED.value,
                    "failure_reason": f"Job inputs had no data: nothing was captured for endpoint "
                                      f"{schedule.endpoint_name} between {executions.stamp(start)} and "
                                      f"{executions.stamp(end)}."}
        name = executions.processing_job_name(scheduled)
        output = executions.output_uri(definition, schedule, scheduled, manual)
        request = executions.processing_request(schedule, definition, name, prefixes, start, end, output)
        job = self.jobs.create(schedule.account_id, schedule.region, JobKind.PROCESSING, request)
        return {"status": ExecutionStatus.IN_PROGRESS.value, "processing_job_name": job.name,
                "processing_job_arn": job.arn, "output_uri": output}

    def refresh(self, execution: Execution) -> None:
        """Follow an execution's processing job; on completion, read its violations."""
        if not execution.processing_job_name:
            return
        try:
            job = self.jobs.get(execution.account_id, execution.region, JobKind.PROCESSING,
                                execution.processing_job_name)
        except ValidationException:
            job = None
        values: dict[str, Any]
        if job is None:
            values = {"status": ExecutionStatus.FAILED.value, "failure_reason": "The processing job is gone."}
        elif job.status is JobStatus.COMPLETED:
            violated = self._violations(execution.output_uri)
            values = {"status": (ExecutionStatus.COMPLETED_WITH_VIOLATIONS if violated else
                                 ExecutionStatus.COMPLETED).value}
        elif job.status is JobStatus.FAILED:
            values = {"status": ExecutionStatus.FAILED.value, "failure_reason": job.failure_reason}
        elif job.status is JobStatus.STOPPED:
            values = {"status": ExecutionStatus.STOPPED.value}
        elif job.status is JobStatus.STOPPING:
            values = {"status": ExecutionStatus.STOPPING.value}
        else:
            return
        if values["status"] == execution.status.value:
            return
        with self.store.write() as db:
            repo.update_execution(db, execution.id, execution.status.value, {**values, "last_modified": self.clock()})

    def _violations(self, output_uri: str | None) -> bool:
        if not output_uri:
            return False
        bucket, key = executions.split_uri(output_uri.rstrip("/") + "/constraint_violations.json")
        try:
            _info, chunks = self.objects.open_object(bucket, key)
            document = json.loads(b"".join(chunks))
        except (StoreError, ValueError):
            return False
        return bool(document.get("violations"))
