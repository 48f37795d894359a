"""Validation of CreateFeatureGroup / UpdateFeatureGroup requests, with SageMaker's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sagecraft.core.errors import ValidationException

GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$")
FEATURE_NAME = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")
FEATURE_TYPES = ("Integral", "Fractional", "String")
COLLECTION_TYPES = ("List", "Set", "Vector")
RESERVED = ("is_deleted", "write_time", "api_invocation_time")
STORAGE_TYPES = ("Standard", "InMemory")
MAX_FEATURES = 2500


def check_group_name(name: str) -> None:
    if not GROUP_NAME.match(name or ""):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'featureGroupName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}"
        )


def check_definitions(definitions: list[Mapping[str, Any]], existing: list[Mapping[str, Any]] = ()) -> None:
    seen = {d["FeatureName"].lower() for d in existing}
    if len(definitions) + len(seen) > MAX_FEATURES:
        raise ValidationException(f"A feature group can have at most {MAX_FEATURES} features.")
    for definition in definitions:
        name = definition.get("FeatureName") or ""
        if not FEATURE_NAME.match(name):
            raise ValidationException(
                f"Invalid FeatureName '{name}': it must match ^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){{0,63}}."
            )
        if name.lower() in RESERVED:
            raise ValidationException(f"Invalid FeatureName '{name}': the name is reserved for the offline store.")
        if name.lower() in seen:
            raise ValidationException(f"Duplicate FeatureName '{name}' in FeatureDefinitions.")
        seen.add(name.lower())
        if definition.get("FeatureType") not in FEATURE_TYPES:
            raise ValidationException(
                f"Value '{definition.get('FeatureType')}' at 'featureDefinitions.featureType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(FEATURE_TYPES)}]"
            )
        _check_collection(name, definition)


def _check_collection(name: str, definition: Mapping[str, Any]) -> None:
    collection = definition.get("CollectionType")
    config = definition.get("CollectionConfig")
    if collection is None:
        if config is not None:
            raise ValidationException(f"CollectionConfig is only allowed with a CollectionType (feature '{name}').")
        return
    if collection not in COLLECTION_TYPES:
        raise ValidationException(
            f"Value '{collection}' at 'featureDefinitions.collectionType' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(COLLECTION_TYPES)}]"
        )
    if collection == "Vector":
        if definition["FeatureType"] != "Fractional":
            raise ValidationException(f"Vector feature '{name}' must have the FeatureType Fractional.")
        dimension = ((config or {}).get("VectorConfig") or {}).get("Dimension")
        if not isinstance(dimension, int) or not 1 <= dimension <= 8192:
            raise ValidationException(
                f"Vector feature '{name}' needs CollectionConfig.VectorConfig.Dimension between 1 and 8192."
            )
    elif config is not None:
        raise ValidationException(f"CollectionConfig is only allowed for Vector features (feature '{name}').")


def check_create(request: Mapping[str, Any]) -> None:
    check_group_name(request["FeatureGroupName"])
    definitions = request["FeatureDefinitions"]
    check_definitions(definitions)
    by_name = {d["FeatureName"]: d for d in definitions}
    record_id = request["RecordIdentifierFeatureName"]
    event_time = request["EventTimeFeatureName"]
    if record_id not in by_name:
        raise ValidationException(
            f"The RecordIdentifierFeatureName '{record_id}' is not present in FeatureDefinitions."
        )
    if event_time not in by_name:
        raise ValidationException(f"The EventTimeFeatureName '{event_time}' is not present in FeatureDefinitions.")
    if by_name[record_id]["FeatureType"] not in ("Integral", "String") or by_name[record_id].get("CollectionType"):
        raise ValidationException(
            f"The RecordIdentifierFeatureName '{record_id}' must be of FeatureType Integral or String."
        )
    if by_name[event_time]["FeatureType"] not in ("Fractional", "String") or by_name[event_time].get("CollectionType"):
        raise ValidationException(
            f"The EventTimeFeatureName '{event_time}' must be of FeatureType Fractional or String."
        )
    online, offline = request.get("OnlineStoreConfig"), request.get("OfflineStoreConfig")
    if online is None and offline is None:
        raise ValidationException("At least one of OnlineStoreConfig and OfflineStoreConfig must be specified.")
    if online is not None:
        check_online_config(online)
    has_collections = any(d.get("CollectionType") for d in definitions)
    if has_collections and (online or {}).get("StorageType") != "InMemory":
        raise ValidationException("Collection types are only supported with an online store of StorageType InMemory.")
    if has_collections and offline is not None:
        raise ValidationException("Collection types are not supported with an OfflineStoreConfig.")
    if offline is not None:
        check_offline_config(offline)
        if offline.get("TableFormat") == "Iceberg":
            check_iceberg(offline, by_name[event_time])


def check_iceberg(offline: Mapping[str, Any], event_time: Mapping[str, Any]) -> None:
    # Iceberg tables are partitioned by day on the event time string (truncated to yyyy-MM-dd).
    if event_time["FeatureType"] != "String":
        raise ValidationException(
            f"The EventTimeFeatureName '{event_time['FeatureName']}' must be of FeatureType String "
            "when OfflineStoreConfig.TableFormat is Iceberg."
        )
    if offline.get("DisableGlueTableCreation") is True:
        raise ValidationException(
            "OfflineStoreConfig.DisableGlueTableCreation with TableFormat Iceberg is not supported by Sagecraft yet: "
            "the Iceberg table is registered in the Glue Data Catalog."
        )


def check_online_config(online: Mapping[str, Any]) -> None:
    storage = online.get("StorageType")
    if storage is not None and storage not in STORAGE_TYPES:
        raise ValidationException(
            f"Value '{storage}' at 'onlineStoreConfig.storageType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Standard, InMemory]"
        )
    if online.get("SecurityConfig") and storage == "InMemory":
        raise ValidationException("SecurityConfig is not supported with the InMemory storage type.")
    check_ttl(online.get("TtlDuration"))


def check_ttl(ttl: Mapping[str, Any] | None) -> None:
    if ttl is None:
        return
    if ttl.get("Unit") not in ("Seconds", "Minutes", "Hours", "Days", "Weeks"):
        raise ValidationException(
            f"Value '{ttl.get('Unit')}' at 'ttlDuration.unit' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Seconds, Minutes, Hours, Days, Weeks]"
        )
    if not isinstance(ttl.get("Value"), int) or ttl["Value"] < 1:
        raise ValidationException("TtlDuration.Value must be a positive integer.")


def check_offline_config(offline: Mapping[str, Any]) -> None:
    uri = (offline.get("S3StorageConfig") or {}).get("S3Uri") or ""
    if not re.match(r"^(https|s3)://([^/]+)/?(.*)$", uri):
        raise ValidationException(f"Invalid S3Uri '{uri}' in OfflineStoreConfig.S3StorageConfig.")
    table_format = offline.get("TableFormat") or "Glue"
    if table_format not in ("Glue", "Iceberg"):
        raise ValidationException(
            f"Value '{table_format}' at 'offlineStoreConfig.tableFormat' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Iceberg, Glue]"
        )
    catalog = offline.get("DataCatalogConfig")
    if (
        catalog is not None
        and offline.get("DisableGlueTableCreation") is not True
        and catalog.get("Catalog") not in (None, "AwsDataCatalog")
    ):
        raise ValidationException(
            "DataCatalogConfig.Catalog must be AwsDataCatalog when Glue table creation is enabled."
        )
