"""SageMaker Model Monitor on the wire (the ``sagemaker`` control plane, JSON 1.1): data-quality and
model-quality job definitions, monitoring schedules and ListMonitoringExecutions."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.monitoring.models import DefinitionKind, Execution, JobDefinition, MonitoringSchedule
from sagecraft.services.monitoring.service import MonitoringService

DQ, MQ = DefinitionKind.DATA_QUALITY, DefinitionKind.MODEL_QUALITY


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _page(items: list[dict[str, Any]], params: dict, key: str, scope: str) -> dict[str, Any]:
    """A page of ``items`` (already filtered and sorted) and the token of the next one."""
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            decoded = json.loads(base64.b64decode(token))
            if decoded["scope"] != scope:
                raise ValueError
            start = int(decoded["start"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("Invalid pagination token.") from None
    size = int(params.get("MaxResults") or 100)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = base64.b64encode(json.dumps({"scope": scope, "start": start + size}).encode()).decode()
    return out


def _time_filters(items: Sequence[Any], params: dict, fields: dict[str, Callable[[Any], Any]]) -> list[Any]:
    """CreationTimeBefore / …After style filters: ``fields`` maps a parameter prefix to a getter."""
    kept = list(items)
    for prefix, getter in fields.items():
        before, after = _aware(params.get(f"{prefix}Before")), _aware(params.get(f"{prefix}After"))
        if before is not None:
            kept = [i for i in kept if getter(i) < before]
        if after is not None:
            kept = [i for i in kept if getter(i) > after]
    return kept


def _sorted(items: list[Any], params: dict, keys: dict[str, Callable[[Any], Any]], default: str) -> list[Any]:
    sort_by = params.get("SortBy") or default
    if sort_by not in keys:
        raise ValidationException(f"SortBy must be one of {', '.join(keys)}.")
    return sorted(items, key=keys[sort_by], reverse=(params.get("SortOrder") or "Descending") == "Descending")


class MonitoringProvider:
    service_name = "sagemaker"
    operations = frozenset({
        "CreateDataQualityJobDefinition", "DescribeDataQualityJobDefinition", "ListDataQualityJobDefinitions",
        "DeleteDataQualityJobDefinition", "CreateModelQualityJobDefinition", "DescribeModelQualityJobDefinition",
        "ListModelQualityJobDefinitions", "DeleteModelQualityJobDefinition", "CreateMonitoringSchedule",
        "DescribeMonitoringSchedule", "ListMonitoringSchedules", "UpdateMonitoringSchedule",
        "StopMonitoringSchedule", "StartMonitoringSchedule", "DeleteMonitoringSchedule", "ListMonitoringExecutions",
    })
    # all touch the metadata store; schedules also call other capabilities
    threaded_operations = operations | {"AddTags", "ListTags", "DeleteTags"}
    # server/sagemaker.py routes these ARNs' AddTags / ListTags / DeleteTags here
    tagged_resource_types = frozenset(
        {"monitoring-schedule", "data-quality-job-definition", "model-quality-job-definition"}
    )

    def __init__(self, service: MonitoringService) -> None:
        self.service = service

    # -- tags -----------------------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.add_tags(params["ResourceArn"], params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        tags = self.service.tags_of(params["ResourceArn"])
        return _page(tags, params, "Tags", f"tags:{params['ResourceArn']}")

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_tags(params["ResourceArn"], params["TagKeys"])
        return {}

    # -- job definitions ------------------------------------------------------------------------------

    def _create(self, context: RequestContext, kind: DefinitionKind, params: dict) -> dict:
        found = self.service.create_definition(context.account_id, context.region, kind, params)
        return {"JobDefinitionArn": found.arn}

    def _describe(self, context: RequestContext, kind: DefinitionKind, params: dict) -> dict:
        found = self.service.get_definition(context.account_id, context.region, kind, params["JobDefinitionName"])
        return _drop_none({**found.request, "JobDefinitionArn": found.arn, "JobDefinitionName": found.name,
                           "CreationTime": found.created_at})

    def _list(self, context: RequestContext, kind: DefinitionKind, params: dict) -> dict:
        found = self.service.list_definitions(context.account_id, context.region, kind)
        if params.get("EndpointName"):
            found = [d for d in found if _endpoint(d) == params["EndpointName"]]
        if params.get("NameContains"):
            found = [d for d in found if params["NameContains"].lower() in d.name.lower()]
        found = _time_filters(found, params, {"CreationTime": lambda d: d.created_at})
        found = _sorted(found, params, {"Name": lambda d: d.name, "CreationTime": lambda d: d.created_at},
                        "CreationTime")
        summaries = [_drop_none({"MonitoringJobDefinitionName": d.name, "MonitoringJobDefinitionArn": d.arn,
                                 "CreationTime": d.created_at, "EndpointName": _endpoint(d)}) for d in found]
        return _page(summaries, params, "JobDefinitionSummaries", f"definitions:{kind.value}")

    def _delete(self, context: RequestContext, kind: DefinitionKind, params: dict) -> dict:
        self.service.delete_definition(context.account_id, context.region, kind, params["JobDefinitionName"])
        return {}

    def create_data_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._create(context, DQ, params)

    def describe_data_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._describe(context, DQ, params)

    def list_data_quality_job_definitions(self, context: RequestContext, params: dict) -> dict:
        return self._list(context, DQ, params)

    def delete_data_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._delete(context, DQ, params)

    def create_model_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._create(context, MQ, params)

    def describe_model_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._describe(context, MQ, params)

    def list_model_quality_job_definitions(self, context: RequestContext, params: dict) -> dict:
        return self._list(context, MQ, params)

    def delete_model_quality_job_definition(self, context: RequestContext, params: dict) -> dict:
        return self._delete(context, MQ, params)

    # -- schedules ------------------------------------------------------------------------------------

    def create_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        return {"MonitoringScheduleArn": self.service.create_schedule(context.account_id, context.region, params).arn}

    def describe_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        schedule = self.service.get_schedule(context.account_id, context.region, params["MonitoringScheduleName"])
        latest = self.service.latest_execution(schedule)
        return _drop_none({
            "MonitoringScheduleArn": schedule.arn, "MonitoringScheduleName": schedule.name,
            "MonitoringScheduleStatus": schedule.status.value, "MonitoringType": schedule.monitoring_type,
            "FailureReason": schedule.failure_reason, "CreationTime": schedule.created_at,
            "LastModifiedTime": schedule.last_modified, "MonitoringScheduleConfig": schedule.config,
            "EndpointName": schedule.endpoint_name,
            "LastMonitoringExecutionSummary": latest.summary() if latest is not None else None,
        })

    def list_monitoring_schedules(self, context: RequestContext, params: dict) -> dict:
        found = self.service.list_schedules(context.account_id, context.region)
        for member, getter in (("EndpointName", lambda s: s.endpoint_name), ("StatusEquals", lambda s: s.status.value),
                               ("MonitoringJobDefinitionName", lambda s: s.job_definition_name),
                               ("MonitoringTypeEquals", lambda s: s.monitoring_type)):
            if params.get(member):
                found = [s for s in found if getter(s) == params[member]]
        if params.get("NameContains"):
            found = [s for s in found if params["NameContains"].lower() in s.name.lower()]
        found = _time_filters(found, params, {"CreationTime": lambda s: s.created_at,
                                              "LastModifiedTime": lambda s: s.last_modified})
        found = _sorted(found, params, {"Name": lambda s: s.name, "CreationTime": lambda s: s.created_at,
                                        "Status": lambda s: s.status.value}, "CreationTime")
        return _page([_schedule_summary(s) for s in found], params, "MonitoringScheduleSummaries", "schedules")

    def update_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        return {"MonitoringScheduleArn": self.service.update_schedule(context.account_id, context.region, params).arn}

    def stop_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        self.service.stop_schedule(context.account_id, context.region, params["MonitoringScheduleName"])
        return {}

    def start_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        self.service.start_schedule(context.account_id, context.region, params["MonitoringScheduleName"])
        return {}

    def delete_monitoring_schedule(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_schedule(context.account_id, context.region, params["MonitoringScheduleName"])
        return {}

    def list_monitoring_executions(self, context: RequestContext, params: dict) -> dict:
        found = self.service.executions(context.account_id, context.region)
        for member, getter in (("MonitoringScheduleName", lambda e: e.schedule_name),
                               ("EndpointName", lambda e: e.endpoint_name), ("StatusEquals", lambda e: e.status.value),
                               ("MonitoringJobDefinitionName", lambda e: e.job_definition_name),
                               ("MonitoringTypeEquals", lambda e: e.monitoring_type)):
            if params.get(member):
                found = [e for e in found if getter(e) == params[member]]
        found = _time_filters(found, params, {"ScheduledTime": lambda e: e.scheduled_at,
                                              "CreationTime": lambda e: e.created_at,
                                              "LastModifiedTime": lambda e: e.last_modified})
        found = _sorted(found, params, {"CreationTime": lambda e: (e.created_at, e.id),
                                        "ScheduledTime": lambda e: (e.scheduled_at, e.id),
                                        "Status": lambda e: (e.status.value, e.id)}, "CreationTime")
        return _page([e.summary() for e in found], params, "MonitoringExecutionSummaries",
                     f"executions:{params.get('MonitoringScheduleName')}")

    def run_monitoring_execution(self, context: RequestContext, schedule_name: str) -> Execution:
        """Sagecraft's own control call (``sagecraft monitor run``): an execution now. Not an AWS operation:
        the server exposes it on an admin-authenticated route (server/monitoring.py)."""
        return self.service.run_now(context.account_id, context.region, schedule_name)


def _endpoint(definition: JobDefinition) -> str | None:
    return ((definition.part("JobInput") or {}).get("EndpointInput") or {}).get("EndpointName")


def _schedule_summary(schedule: MonitoringSchedule) -> dict[str, Any]:
    return _drop_none({
        "MonitoringScheduleName": schedule.name, "MonitoringScheduleArn": schedule.arn,
        "CreationTime": schedule.created_at, "LastModifiedTime": schedule.last_modified,
        "MonitoringScheduleStatus": schedule.status.value, "EndpointName": schedule.endpoint_name,
        "MonitoringJobDefinitionName": schedule.job_definition_name, "MonitoringType": schedule.monitoring_type,
    })
