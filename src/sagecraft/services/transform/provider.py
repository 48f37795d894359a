"""Batch transform jobs on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.transform.models import TransformJob
from sagecraft.services.transform.service import TransformService

DEFAULT_MAX_RESULTS = 10
SORT_KEYS = {
    "Name": lambda j: (j.name, j.id),
    "CreationTime": lambda j: (j.created_at, j.id),
    "Status": lambda j: (j.status.value, j.created_at, j.id),
}


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def describe(job: TransformJob) -> dict[str, Any]:
    request = job.request
    resources = dict(request.get("TransformResources") or {})
    resources.setdefault("InstanceCount", 1)
    return _drop_none(
        {
            **request,
            "TransformJobName": job.name,
            "TransformJobArn": job.arn,
            "TransformJobStatus": job.status.value,
            "FailureReason": job.failure_reason,
            "TransformResources": resources,
            "CreationTime": job.created_at,
            "TransformStartTime": job.started_at,
            "TransformEndTime": job.ended_at,
            "LastModifiedTime": job.last_modified,
        }
    )


def summary(job: TransformJob) -> dict[str, Any]:
    return _drop_none(
        {
            "TransformJobName": job.name,
            "TransformJobArn": job.arn,
            "CreationTime": job.created_at,
            "TransformEndTime": job.ended_at,
            "LastModifiedTime": job.last_modified,
            "TransformJobStatus": job.status.value,
            "FailureReason": job.failure_reason,
        }
    )


def _filtered(found: list[TransformJob], params: dict) -> list[TransformJob]:
    for key, column, after in (
        ("CreationTimeAfter", "created_at", True),
        ("CreationTimeBefore", "created_at", False),
        ("LastModifiedTimeAfter", "last_modified", True),
        ("LastModifiedTimeBefore", "last_modified", False),
    ):
        bound = params.get(key)
        if bound is not None:
            found = [j for j in found if (getattr(j, column) > bound if after else getattr(j, column) < bound)]
    status = params.get("StatusEquals")
    if status:
        found = [j for j in found if j.status.value == status]
    key = SORT_KEYS[params.get("SortBy") or "CreationTime"]
    return sorted(found, key=key, reverse=(params.get("SortOrder") or "Descending") == "Descending")


class TransformProvider:
    service_name = "sagemaker"
    operations = frozenset({"CreateTransformJob", "DescribeTransformJob", "ListTransformJobs", "StopTransformJob"})
    threaded_operations = operations  # all touch the metadata store: off the event loop

    def __init__(self, service: TransformService) -> None:
        self.service = service

    def create_transform_job(self, context: RequestContext, params: dict) -> dict:
        return {"TransformJobArn": self.service.create(context.account_id, context.region, params).arn}

    def describe_transform_job(self, context: RequestContext, params: dict) -> dict:
        return describe(self.service.get(context.account_id, context.region, params["TransformJobName"]))

    def list_transform_jobs(self, context: RequestContext, params: dict) -> dict:
        found = _filtered(
            self.service.list(context.account_id, context.region, params.get("NameContains") or ""), params
        )
        token = params.get("NextToken")
        try:
            start = int(token) if token else 0
        except ValueError:
            raise ValidationException("Invalid pagination token.") from None
        size = params.get("MaxResults") or DEFAULT_MAX_RESULTS
        more = start + size < len(found)
        return _drop_none(
            {
                "TransformJobSummaries": [summary(j) for j in found[start : start + size]],
                "NextToken": str(start + size) if more else None,
            }
        )

    def stop_transform_job(self, context: RequestContext, params: dict) -> dict:
        self.service.stop(context.account_id, context.region, params["TransformJobName"])
        return {}
