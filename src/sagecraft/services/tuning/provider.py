"""SageMaker hyperparameter tuning on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.core.paging import page
from sagecraft.services.tuning.models import TuningJob, TuningStatus
from sagecraft.services.tuning.progress import Progress, best_summary, sort_summaries, summary
from sagecraft.services.tuning.service import TuningService

TAGS_PAGE = 50
EMPTY_COUNTERS = {
    "TrainingJobStatusCounters": {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0,
                                  "Stopped": 0},
    "ObjectiveStatusCounters": {"Succeeded": 0, "Pending": 0, "Failed": 0},
}


def _time(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class TuningProvider:
    service_name = "sagemaker"
    operations = frozenset({
        "CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob", "ListHyperParameterTuningJobs",
        "StopHyperParameterTuningJob", "ListTrainingJobsForHyperParameterTuningJob",
        "AddTags", "ListTags", "DeleteTags",
    })
    threaded_operations = operations  # all touch the metadata store: off the event loop
    tagged_resource_types = frozenset({"hyper-parameter-tuning-job"})  # server/sagemaker.py routes their tags here

    def __init__(self, service: TuningService) -> None:
        self.service = service

    def create_hyper_parameter_tuning_job(self, context: RequestContext, params: dict) -> dict:
        job = self.service.create(context.account_id, context.region, params)
        return {"HyperParameterTuningJobArn": job.arn}

    def describe_hyper_parameter_tuning_job(self, context: RequestContext, params: dict) -> dict:
        job = self.service.get(context.account_id, context.region, params["HyperParameterTuningJobName"])
        progress = Progress(self.service.children(job), job.maximize)
        ended = job.ended_at or self.service.clock()
        out = {
            **job.request,
            "HyperParameterTuningJobName": job.name, "HyperParameterTuningJobArn": job.arn,
            "HyperParameterTuningJobStatus": job.status.value, "CreationTime": job.created_at,
            "HyperParameterTuningEndTime": job.ended_at, "LastModifiedTime": job.last_modified,
            **progress.counters(),
            "BestTrainingJob": best_summary(job, progress.best),
            "OverallBestTrainingJob": self._overall_best(job),
            "FailureReason": job.failure_reason,
            "TuningJobCompletionDetails": _drop_none({
                "NumberOfTrainingJobsObjectiveNotImproving": progress.not_improving(),
                "ConvergenceDetectedTime": _time(job.state.get("converged_at"))}),
            "ConsumedResources": {"RuntimeInSeconds": max(0, int((ended - job.created_at).total_seconds()))},
        }
        return _drop_none(out)

    def _overall_best(self, job: TuningJob) -> dict[str, Any] | None:
        """Warm-start jobs only, as SageMaker: the best trial of the job and of its parents."""
        if not job.request.get("WarmStartConfig"):
            return None
        found = self.service.overall_best(job)
        return summary(*found) if found is not None else None

    def list_hyper_parameter_tuning_jobs(self, context: RequestContext, params: dict) -> dict:
        status = params.get("StatusEquals")
        if status is not None and status not in {s.value for s in TuningStatus}:
            raise ValidationException(f"Value '{status}' at 'statusEquals' failed to satisfy constraint.")
        found, token = self.service.list(context.account_id, context.region, params)
        return _drop_none({"HyperParameterTuningJobSummaries": [_summary(j) for j in found], "NextToken": token})

    def stop_hyper_parameter_tuning_job(self, context: RequestContext, params: dict) -> dict:
        self.service.stop(context.account_id, context.region, params["HyperParameterTuningJobName"])
        return {}

    def list_training_jobs_for_hyper_parameter_tuning_job(self, context: RequestContext, params: dict) -> dict:
        job = self.service.get(context.account_id, context.region, params["HyperParameterTuningJobName"])
        summaries = [summary(job, child) for child in self.service.children(job)]
        status = params.get("StatusEquals")
        if status:
            summaries = [s for s in summaries if s["TrainingJobStatus"] == status]
        sort_by = params.get("SortBy") or "Name"
        ordered = sort_summaries(summaries, sort_by, (params.get("SortOrder") or "Ascending") == "Descending")
        found, token = page(ordered, params, f"children:{job.name}:{sort_by}:{params.get('SortOrder')}:{status}")
        return _drop_none({"TrainingJobSummaries": found, "NextToken": token})

    # -- tags -----------------------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.add_tags(params["ResourceArn"], params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        tags = self.service.find_by_arn(params["ResourceArn"]).tags
        token = params.get("NextToken")
        try:
            start = max(0, int(token)) if token else 0
        except ValueError:
            raise ValidationException("Invalid pagination token.") from None
        size = params.get("MaxResults") or TAGS_PAGE
        more = start + size < len(tags)
        return _drop_none({"Tags": tags[start:start + size], "NextToken": str(start + size) if more else None})

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_tags(params["ResourceArn"], params["TagKeys"])
        return {}


def _summary(job: TuningJob) -> dict[str, Any]:
    counters = job.state.get("counters") or EMPTY_COUNTERS
    return _drop_none({
        "HyperParameterTuningJobName": job.name, "HyperParameterTuningJobArn": job.arn,
        "HyperParameterTuningJobStatus": job.status.value, "Strategy": job.config["Strategy"],
        "CreationTime": job.created_at, "HyperParameterTuningEndTime": job.ended_at,
        "LastModifiedTime": job.last_modified, **counters, "ResourceLimits": job.limits,
    })
