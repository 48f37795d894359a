"""SageMaker training and processing jobs on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.jobs.models import Job, JobKind, JobStatus
from sagecraft.services.jobs.outputs import model_artifacts_uri
from sagecraft.services.jobs.repository import ListQuery
from sagecraft.services.jobs.service import JobsService

UTC = dt.timezone.utc
DEFAULT_MAX_RESULTS = 10
TAGS_PAGE = 50


def _time(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, UTC)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(1, int((end - start).total_seconds()))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def describe_training(job: Job) -> dict[str, Any]:
    request = job.request
    out = {
        **request,
        "TrainingJobName": job.name, "TrainingJobArn": job.arn,
        "ModelArtifacts": {"S3ModelArtifacts": job.model_artifacts or model_artifacts_uri(job)},
        "TrainingJobStatus": job.status.value, "SecondaryStatus": job.secondary_status,
        "FailureReason": job.failure_reason, "CreationTime": job.created_at,
        "TrainingStartTime": job.started_at, "TrainingEndTime": job.ended_at,
        "LastModifiedTime": job.last_modified,
        "SecondaryStatusTransitions": [
            _drop_none({"Status": t["Status"], "StartTime": _time(t["StartTime"]), "EndTime": _time(t.get("EndTime")),
                        "StatusMessage": t.get("StatusMessage")}) for t in job.transitions],
        "FinalMetricDataList": [
            {"MetricName": m["MetricName"], "Value": m["Value"], "Timestamp": _time(m["Timestamp"])}
            for m in job.final_metrics],
    }
    if job.status.terminal:
        out["TrainingTimeInSeconds"] = _seconds(job.started_at, job.ended_at) or 0
        out["BillableTimeInSeconds"] = job.billable_seconds or 0
    return _drop_none(out)


def describe_processing(job: Job) -> dict[str, Any]:
    request = job.request
    out = {
        **request,
        "ProcessingInputs": request.get("ProcessingInputs") or [],
        "ProcessingJobName": job.name, "ProcessingJobArn": job.arn,
        "ProcessingJobStatus": job.status.value, "ExitMessage": job.exit_message,
        "FailureReason": job.failure_reason, "ProcessingStartTime": job.started_at,
        "ProcessingEndTime": job.ended_at, "LastModifiedTime": job.last_modified, "CreationTime": job.created_at,
    }
    return _drop_none(out)


def training_summary(job: Job) -> dict[str, Any]:
    return _drop_none({
        "TrainingJobName": job.name, "TrainingJobArn": job.arn, "CreationTime": job.created_at,
        "TrainingEndTime": job.ended_at, "LastModifiedTime": job.last_modified,
        "TrainingJobStatus": job.status.value, "SecondaryStatus": job.secondary_status,
    })


def processing_summary(job: Job) -> dict[str, Any]:
    return _drop_none({
        "ProcessingJobName": job.name, "ProcessingJobArn": job.arn, "CreationTime": job.created_at,
        "ProcessingEndTime": job.ended_at, "LastModifiedTime": job.last_modified,
        "ProcessingJobStatus": job.status.value, "FailureReason": job.failure_reason,
        "ExitMessage": job.exit_message,
    })


class JobsProvider:
    service_name = "sagemaker"
    # Every operation touches the metadata store (and creation the object store): off the event loop.
    threaded_operations = frozenset({
        "CreateTrainingJob", "DescribeTrainingJob", "ListTrainingJobs", "StopTrainingJob",
        "CreateProcessingJob", "DescribeProcessingJob", "ListProcessingJobs", "StopProcessingJob",
        "AddTags", "ListTags", "DeleteTags",
    })

    def __init__(self, service: JobsService) -> None:
        self.service = service

    # -- training -------------------------------------------------------------------------------------

    def create_training_job(self, context: RequestContext, params: dict) -> dict:
        job = self.service.create(context.account_id, context.region, JobKind.TRAINING, params)
        return {"TrainingJobArn": job.arn}

    def describe_training_job(self, context: RequestContext, params: dict) -> dict:
        return describe_training(self._get(context, JobKind.TRAINING, params["TrainingJobName"]))

    def list_training_jobs(self, context: RequestContext, params: dict) -> dict:
        found, token = self.service.list(self._query(context, JobKind.TRAINING, params))
        return _drop_none({"TrainingJobSummaries": [training_summary(j) for j in found], "NextToken": token})

    def stop_training_job(self, context: RequestContext, params: dict) -> dict:
        self.service.stop(context.account_id, context.region, JobKind.TRAINING, params["TrainingJobName"])
        return {}

    # -- processing -----------------------------------------------------------------------------------

    def create_processing_job(self, context: RequestContext, params: dict) -> dict:
        job = self.service.create(context.account_id, context.region, JobKind.PROCESSING, params)
        return {"ProcessingJobArn": job.arn}

    def describe_processing_job(self, context: RequestContext, params: dict) -> dict:
        return describe_processing(self._get(context, JobKind.PROCESSING, params["ProcessingJobName"]))

    def list_processing_jobs(self, context: RequestContext, params: dict) -> dict:
        found, token = self.service.list(self._query(context, JobKind.PROCESSING, params))
        return _drop_none({"ProcessingJobSummaries": [processing_summary(j) for j in found], "NextToken": token})

    def stop_processing_job(self, context: RequestContext, params: dict) -> dict:
        self.service.stop(context.account_id, context.region, JobKind.PROCESSING, params["ProcessingJobName"])
        return {}

    # -- tags -----------------------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.add_tags(params["ResourceArn"], params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        tags = self.service.find_by_arn(params["ResourceArn"]).tags
        start = _tag_offset(params.get("NextToken"))
        size = params.get("MaxResults") or TAGS_PAGE
        page = tags[start:start + size]
        more = start + size < len(tags)
        return _drop_none({"Tags": page, "NextToken": str(start + size) if more else None})

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_tags(params["ResourceArn"], params["TagKeys"])
        return {}

    # -- helpers --------------------------------------------------------------------------------------

    def _get(self, context: RequestContext, kind: JobKind, name: str) -> Job:
        return self.service.get(context.account_id, context.region, kind, name)

    @staticmethod
    def _query(context: RequestContext, kind: JobKind, params: dict) -> ListQuery:
        status = params.get("StatusEquals")
        if status is not None and status not in {s.value for s in JobStatus}:
            raise ValidationException(f"Value '{status}' at 'statusEquals' failed to satisfy constraint.")
        return ListQuery(
            account_id=context.account_id, region=context.region, kind=kind,
            name_contains=params.get("NameContains"), status=status,
            created_after=params.get("CreationTimeAfter"), created_before=params.get("CreationTimeBefore"),
            modified_after=params.get("LastModifiedTimeAfter"), modified_before=params.get("LastModifiedTimeBefore"),
            sort_by=params.get("SortBy") or "CreationTime", descending=(params.get("SortOrder") or "Descending")
            == "Descending", limit=params.get("MaxResults") or DEFAULT_MAX_RESULTS, token=params.get("NextToken"))


def _tag_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return max(0, int(token))
    except ValueError:
        raise ValidationException("Invalid pagination token.") from None
