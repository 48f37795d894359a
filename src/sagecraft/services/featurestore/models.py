"""Feature groups as stored, and the names SageMaker derives from them (ARN, offline table, S3 prefix)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

DEFAULT_DATABASE = "sagemaker_featurestore"
DEFAULT_CATALOG = "AwsDataCatalog"


class FeatureGroupStatus(enum.StrEnum):
    CREATING = "Creating"
    CREATED = "Created"
    CREATE_FAILED = "CreateFailed"
    DELETING = "Deleting"
    DELETE_FAILED = "DeleteFailed"


def feature_group_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account_id}:feature-group/{name.lower()}"


def offline_table_name(name: str, epoch: int) -> str:
    return f"{name.replace('-', '_').lower()}_{epoch}"


def resolved_output_uri(s3_uri: str, account_id: str, region: str, name: str, epoch: int) -> str:
    return f"{s3_uri.rstrip('/')}/{account_id}/sagemaker/{region}/offline-store/{name}-{epoch}/data"


@dataclass
class FeatureGroup:
    id: int
    account_id: str
    region: str
    name: str
    arn: str
    status: FeatureGroupStatus
    offline_status: str | None
    failure_reason: str | None
    created_at: dt.datetime
    created_epoch: int
    last_modified: dt.datetime
    request: dict[str, Any]
    feature_definitions: list[dict[str, Any]]
    feature_metadata: dict[str, Any]
    last_update_status: dict[str, Any] | None
    tags: list[dict[str, str]]

    @classmethod
    def from_row(cls, row: Any) -> FeatureGroup:
        return cls(
            id=row.id,
            account_id=row.account_id,
            region=row.region,
            name=row.name,
            arn=row.arn,
            status=FeatureGroupStatus(row.status),
            offline_status=row.offline_status,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            created_epoch=row.created_epoch,
            last_modified=row.last_modified,
            request=row.request,
            feature_definitions=row.feature_definitions,
            feature_metadata=row.feature_metadata or {},
            last_update_status=row.last_update_status,
            tags=row.tags or [],
        )

    @property
    def store_key(self) -> str:
        """Names this incarnation's records: a group deleted and created again starts empty."""
        return f"{self.arn}#{self.created_epoch}"

    @property
    def record_identifier(self) -> str:
        return self.request["RecordIdentifierFeatureName"]

    @property
    def event_time_feature(self) -> str:
        return self.request["EventTimeFeatureName"]

    @property
    def definitions_by_name(self) -> dict[str, dict[str, Any]]:
        return {d["FeatureName"]: d for d in self.feature_definitions}

    @property
    def online_config(self) -> dict[str, Any] | None:
        return self.request.get("OnlineStoreConfig")

    @property
    def online_enabled(self) -> bool:
        return bool((self.online_config or {}).get("EnableOnlineStore"))

    @property
    def offline_config(self) -> dict[str, Any] | None:
        return self.request.get("OfflineStoreConfig")

    @property
    def offline_enabled(self) -> bool:
        return self.offline_config is not None

    @property
    def resolved_output_uri(self) -> str | None:
        config = self.offline_config
        if config is None:
            return None
        return config["S3StorageConfig"]["ResolvedOutputS3Uri"]

    def ttl_seconds(self) -> float | None:
        ttl = (self.online_config or {}).get("TtlDuration")
        return ttl_to_seconds(ttl) if ttl else None


TTL_UNITS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400, "Weeks": 604800}


def ttl_to_seconds(ttl: dict[str, Any]) -> float:
    return float(ttl["Value"]) * TTL_UNITS[ttl["Unit"]]
