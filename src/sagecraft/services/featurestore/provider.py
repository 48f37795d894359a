"""Feature groups on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.core.paging import page
from sagecraft.services.featurestore.models import FeatureGroup, FeatureGroupStatus
from sagecraft.services.featurestore.service import FeatureGroupService

SORT_KEYS = {
    "Name": lambda g: g.name,
    "FeatureGroupStatus": lambda g: g.status.value,
    "OfflineStoreStatus": lambda g: g.offline_status or "",
    "CreationTime": lambda g: g.created_at,
}


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _offline_status(group: FeatureGroup) -> dict[str, str] | None:
    return {"Status": group.offline_status} if group.offline_status else None


class FeatureGroupProvider:
    service_name = "sagemaker"
    operations = frozenset(
        {
            "CreateFeatureGroup",
            "DescribeFeatureGroup",
            "ListFeatureGroups",
            "DeleteFeatureGroup",
            "UpdateFeatureGroup",
            "DescribeFeatureMetadata",
            "UpdateFeatureMetadata",
        }
    )
    threaded_operations = operations

    def __init__(self, service: FeatureGroupService) -> None:
        self.service = service

    def create_feature_group(self, context: RequestContext, params: dict) -> dict:
        group = self.service.create(context.account_id, context.region, params)
        return {"FeatureGroupArn": group.arn}

    def describe_feature_group(self, context: RequestContext, params: dict) -> dict:
        group = self.service.get(context.account_id, context.region, params["FeatureGroupName"])
        request = group.request
        size = self.service.online.size_bytes(group.store_key) if group.online_enabled else None
        return _drop_none(
            {
                "FeatureGroupArn": group.arn,
                "FeatureGroupName": group.name,
                "RecordIdentifierFeatureName": group.record_identifier,
                "EventTimeFeatureName": group.event_time_feature,
                "FeatureDefinitions": group.feature_definitions,
                "CreationTime": group.created_at,
                "LastModifiedTime": group.last_modified,
                "OnlineStoreConfig": request.get("OnlineStoreConfig"),
                "OfflineStoreConfig": request.get("OfflineStoreConfig"),
                "ThroughputConfig": request.get("ThroughputConfig")
                and {"ThroughputMode": request["ThroughputConfig"].get("ThroughputMode", "OnDemand")},
                "RoleArn": request.get("RoleArn"),
                "FeatureGroupStatus": group.status.value,
                "OfflineStoreStatus": _offline_status(group),
                "LastUpdateStatus": group.last_update_status,
                "FailureReason": group.failure_reason,
                "Description": request.get("Description"),
                "NextToken": "",
                "OnlineStoreTotalSizeBytes": size,
            }
        )

    def list_feature_groups(self, context: RequestContext, params: dict) -> dict:
        groups = self.service.list(context.account_id, context.region)
        if params.get("NameContains"):
            groups = [g for g in groups if params["NameContains"].lower() in g.name.lower()]
        status = params.get("FeatureGroupStatusEquals")
        if status:
            if status not in {s.value for s in FeatureGroupStatus}:
                raise ValidationException(
                    f"Value '{status}' at 'featureGroupStatusEquals' failed to satisfy constraint."
                )
            groups = [g for g in groups if g.status.value == status]
        if params.get("OfflineStoreStatusEquals"):
            groups = [g for g in groups if g.offline_status == params["OfflineStoreStatusEquals"]]
        after, before = params.get("CreationTimeAfter"), params.get("CreationTimeBefore")
        if after:
            groups = [g for g in groups if g.created_at > _aware(after)]
        if before:
            groups = [g for g in groups if g.created_at < _aware(before)]
        sort_by = params.get("SortBy") or "CreationTime"
        if sort_by not in SORT_KEYS:
            raise ValidationException(f"Value '{sort_by}' at 'sortBy' failed to satisfy constraint.")
        descending = (params.get("SortOrder") or "Descending") == "Descending"
        groups.sort(key=lambda g: (SORT_KEYS[sort_by](g), g.name), reverse=descending)
        scope = "|".join(str(params.get(k)) for k in sorted(params) if k not in ("NextToken", "MaxResults"))
        found, token = page(groups, params, scope)
        summaries = [
            _drop_none(
                {
                    "FeatureGroupName": g.name,
                    "FeatureGroupArn": g.arn,
                    "CreationTime": g.created_at,
                    "FeatureGroupStatus": g.status.value,
                    "OfflineStoreStatus": _offline_status(g),
                }
            )
            for g in found
        ]
        return _drop_none({"FeatureGroupSummaries": summaries, "NextToken": token})

    def delete_feature_group(self, context: RequestContext, params: dict) -> dict:
        self.service.delete(context.account_id, context.region, params["FeatureGroupName"])
        return {}

    def update_feature_group(self, context: RequestContext, params: dict) -> dict:
        group = self.service.update(context.account_id, context.region, params)
        return {"FeatureGroupArn": group.arn}

    def describe_feature_metadata(self, context: RequestContext, params: dict) -> dict:
        group = self.service.get(context.account_id, context.region, params["FeatureGroupName"])
        definition = self.service.feature(group, params["FeatureName"])
        entry = group.feature_metadata.get(definition["FeatureName"], {})
        return _drop_none(
            {
                "FeatureGroupArn": group.arn,
                "FeatureGroupName": group.name,
                "FeatureName": definition["FeatureName"],
                "FeatureType": definition["FeatureType"],
                "CreationTime": entry.get("CreationTime", group.created_at.timestamp()),
                "LastModifiedTime": entry.get("LastModifiedTime", group.created_at.timestamp()),
                "Description": entry.get("Description"),
                "Parameters": [{"Key": k, "Value": v} for k, v in (entry.get("Parameters") or {}).items()],
            }
        )

    def update_feature_metadata(self, context: RequestContext, params: dict) -> dict:
        self.service.update_feature_metadata(context.account_id, context.region, params)
        return {}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
