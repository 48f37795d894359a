"""Search over feature groups and feature metadata (``Resource`` FeatureGroup / FeatureMetadata),
records shaped as SageMaker's Search returns them; the search capability filters and sorts."""

from __future__ import annotations

from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.featurestore.service import FeatureGroupService


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class FeatureStoreSearchers:
    def __init__(self, service: FeatureGroupService) -> None:
        self.service = service

    def feature_groups(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        found = []
        for group in self.service.list(context.account_id, context.region):
            request = group.request
            found.append(
                _drop_none(
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
                        "RoleArn": request.get("RoleArn"),
                        "FeatureGroupStatus": group.status.value,
                        "OfflineStoreStatus": {"Status": group.offline_status} if group.offline_status else None,
                        "LastUpdateStatus": group.last_update_status,
                        "FailureReason": group.failure_reason,
                        "Description": request.get("Description"),
                        "Tags": group.tags,
                    }
                )
            )
        return found

    def feature_metadata(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        found = []
        for group in self.service.list(context.account_id, context.region):
            for definition in group.feature_definitions:
                entry = group.feature_metadata.get(definition["FeatureName"], {})
                found.append(
                    _drop_none(
                        {
                            "FeatureGroupArn": group.arn,
                            "FeatureGroupName": group.name,
                            "FeatureName": definition["FeatureName"],
                            "FeatureType": definition["FeatureType"],
                            "CreationTime": group.created_at,
                            "LastModifiedTime": group.last_modified,
                            "Description": entry.get("Description"),
                            "Parameters": [{"Key": k, "Value": v} for k, v in (entry.get("Parameters") or {}).items()],
                        }
                    )
                )
        return found
