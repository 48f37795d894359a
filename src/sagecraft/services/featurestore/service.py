"""Feature group use-cases: create (Creating → Created, the Glue table made in the background),
describe, list, update (feature additions, online TTL), delete (Deleting → gone), feature metadata."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagecraft.services.featurestore import repository as repo
from sagecraft.services.featurestore import requests
from sagecraft.services.featurestore.catalog import (
    iceberg_partition_spec,
    iceberg_schema,
    iceberg_table_input,
    iceberg_type,
    is_iceberg,
    table_input,
)
from sagecraft.services.featurestore.models import (
    DEFAULT_CATALOG,
    DEFAULT_DATABASE,
    FeatureGroup,
    FeatureGroupStatus,
    feature_group_arn,
    offline_table_name,
    resolved_output_uri,
)
from sagecraft.services.featurestore.online import OnlineStore
from sagecraft.services.featurestore.sealing import RecordSealer
from sagecraft.storage.metadata import MetadataStore

log = logging.getLogger(__name__)


class Catalog(Protocol):
    """The Glue Data Catalog, as the feature store uses it (services/glue/service.py)."""

    def ensure_database(self, account_id: str, region: str, name: str) -> None: ...
    def create_table(self, account_id: str, region: str, database: str, table_input: dict[str, Any]) -> None: ...
    def delete_table(self, account_id: str, region: str, database: str, name: str) -> None: ...


class IcebergCatalog(Protocol):
    """Iceberg tables registered in Glue (services/glue/iceberg.py)."""

    def create(
        self, account_id: str, region: str, database: str, table_input: dict[str, Any], schema: Any, partition_spec: Any
    ) -> str: ...
    def add_columns(
        self, account_id: str, region: str, database: str, name: str, columns: list[tuple[str, Any]]
    ) -> None: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}")


class FeatureGroupService:
    def __init__(
        self,
        store: MetadataStore,
        online: OnlineStore,
        catalog: Catalog,
        bucket_exists: Callable[[str], bool],
        iceberg: IcebergCatalog,
        clock: Callable[[], dt.datetime] = _utcnow,
        sealer: RecordSealer | None = None,
    ) -> None:
        self.sealer = sealer or RecordSealer(None)
        self.store = store
        self.online = online
        self.catalog = catalog
        self.iceberg = iceberg
        self.bucket_exists = bucket_exists
        self.clock = clock
        self.before_delete: list[Callable[[], None]] = []  # e.g. drain the offline journal
        self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="featurestore")
        self._cache: dict[str, FeatureGroup] = {}  # by ARN: the runtime reads groups on every record
        self._cache_lock = threading.Lock()

    def start(self) -> None:
        """Finish what a stopped server left half done."""
        with self.store.read() as db:
            pending = repo.with_status(db, (FeatureGroupStatus.CREATING.value, FeatureGroupStatus.DELETING.value))
        for group in pending:
            finish = self._finish_create if group.status is FeatureGroupStatus.CREATING else self._finish_delete
            self._background.submit(finish, group.id)

    def close(self) -> None:
        self._background.shutdown(wait=True)

    # --- lookups -------------------------------------------------------------------------------
    def get(self, account_id: str, region: str, name: str) -> FeatureGroup:
        arn = name.lower() if name.startswith("arn:") else feature_group_arn(region, account_id, name)
        with self._cache_lock:
            cached = self._cache.get(arn)
        if cached is not None:
            return cached
        with self.store.read() as db:
            group = repo.by_arn(db, arn)
        if group is None:
            raise not_found(name.rsplit("/", 1)[-1])
        if group.status is FeatureGroupStatus.CREATED:
            with self._cache_lock:
                self._cache[arn] = group
        return group

    def by_store_key(self, key: str) -> FeatureGroup | None:
        arn, _, epoch = key.rpartition("#")
        with self.store.read() as db:
            group = repo.by_arn(db, arn)
        return group if group is not None and str(group.created_epoch) == epoch else None

    def _forget(self, arn: str) -> None:
        with self._cache_lock:
            self._cache.pop(arn, None)

    # --- create ----------------------------------------------------------------------------------
    def create(self, account_id: str, region: str, request: Mapping[str, Any]) -> FeatureGroup:
        requests.check_create(request)
        name = request["FeatureGroupName"]
        arn = feature_group_arn(region, account_id, name)
        now = self.clock()
        epoch = int(now.timestamp())
        stored = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
        offline = stored.get("OfflineStoreConfig")
        if offline is not None:
            s3 = offline["S3StorageConfig"]
            s3["ResolvedOutputS3Uri"] = resolved_output_uri(s3["S3Uri"], account_id, region, name, epoch)
            catalog = offline.get("DataCatalogConfig") or {}
            offline["DataCatalogConfig"] = {
                "TableName": catalog.get("TableName") or offline_table_name(name, epoch),
                "Catalog": catalog.get("Catalog") or DEFAULT_CATALOG,
                "Database": catalog.get("Database") or DEFAULT_DATABASE,
            }
            offline.setdefault("DisableGlueTableCreation", False)
            offline.setdefault("TableFormat", "Glue")
        online = stored.get("OnlineStoreConfig")
        if online is not None:
            online.setdefault("StorageType", "Standard")
        self.sealer.prepare(account_id, region, arn, stored)  # KMS keys checked before anything is stored
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            status=FeatureGroupStatus.CREATING.value,
            offline_status=None,
            created_at=now,
            created_epoch=epoch,
            last_modified=now,
            request=stored,
            feature_definitions=stored["FeatureDefinitions"],
            feature_metadata={},
            tags=list(request.get("Tags") or []),
        )
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise _in_use(name)
                group_id = repo.insert_group(db, values)
        except IntegrityError:
            raise _in_use(name) from None
        self._background.submit(self._finish_create, group_id)
        with self.store.read() as db:
            return repo.by_id(db, group_id)  # type: ignore[return-value]

    def _finish_create(self, group_id: int) -> None:
        with self.store.read() as db:
            group = repo.by_id(db, group_id)
        if group is None or group.status is not FeatureGroupStatus.CREATING:
            return
        try:
            offline_status = self._create_offline(group)
        except Exception as error:
            log.warning("feature group %s failed to create: %s", group.name, error)
            with self.store.write() as db:
                repo.update_group(
                    db,
                    group_id,
                    {
                        "status": FeatureGroupStatus.CREATE_FAILED.value,
                        "failure_reason": str(error),
                        "last_modified": self.clock(),
                    },
                )
            return
        with self.store.write() as db:
            repo.update_group(
                db,
                group_id,
                {
                    "status": FeatureGroupStatus.CREATED.value,
                    "offline_status": offline_status,
                    "last_modified": self.clock(),
                },
            )

    def _create_offline(self, group: FeatureGroup) -> str | None:
        offline = group.offline_config
        if offline is None:
            return None
        bucket = offline["S3StorageConfig"]["S3Uri"].removeprefix("s3://").split("/", 1)[0]
        if not self.bucket_exists(bucket):
            raise ValidationException(f"The S3 bucket {bucket} of the OfflineStoreConfig does not exist.")
        if not offline.get("DisableGlueTableCreation"):
            catalog = offline["DataCatalogConfig"]
            self.catalog.ensure_database(group.account_id, group.region, catalog["Database"])
            if is_iceberg(group):
                schema = iceberg_schema(group)
                self.iceberg.create(
                    group.account_id,
                    group.region,
                    catalog["Database"],
                    iceberg_table_input(group),
                    schema,
                    iceberg_partition_spec(group, schema),
                )
            else:
                self.catalog.create_table(group.account_id, group.region, catalog["Database"], table_input(group))
        return "Active"

    # --- delete ----------------------------------------------------------------------------------
    def delete(self, account_id: str, region: str, name: str) -> None:
        group = self.get(account_id, region, name)
        if group.status in (FeatureGroupStatus.CREATING, FeatureGroupStatus.DELETING):
            raise ResourceInUse(f"FeatureGroup {group.name} is {group.status.value}: it cannot be deleted now.")
        with self.store.write() as db:
            repo.update_group(
                db, group.id, {"status": FeatureGroupStatus.DELETING.value, "last_modified": self.clock()}
            )
        self._forget(group.arn)
        self._background.submit(self._finish_delete, group.id)

    def _finish_delete(self, group_id: int) -> None:
        with self.store.read() as db:
            group = repo.by_id(db, group_id)
        if group is None:
            return
        for hook in self.before_delete:
            hook()  # acknowledged offline rows still reach the offline store
        self.online.drop(group.store_key)
        offline = group.offline_config
        if offline is not None and not offline.get("DisableGlueTableCreation"):
            catalog = offline["DataCatalogConfig"]
            try:
                self.catalog.delete_table(group.account_id, group.region, catalog["Database"], catalog["TableName"])
            except Exception as error:
                log.info("Glue table of %s not deleted: %s", group.name, error)
        with self.store.write() as db:
            repo.delete_group(db, group.id)

    # --- list ------------------------------------------------------------------------------------
    def list(self, account_id: str, region: str) -> list[FeatureGroup]:
        with self.store.read() as db:
            return repo.in_region(db, account_id, region)

    # --- update ----------------------------------------------------------------------------------
    def update(self, account_id: str, region: str, params: Mapping[str, Any]) -> FeatureGroup:
        group = self.get(account_id, region, params["FeatureGroupName"])
        if group.status is not FeatureGroupStatus.CREATED:
            raise ResourceInUse(f"FeatureGroup {group.name} is {group.status.value}: it cannot be updated now.")
        additions = list(params.get("FeatureAdditions") or [])
        requests.check_definitions(additions, group.feature_definitions)
        if any(d.get("CollectionType") for d in additions) and group.offline_enabled:
            raise ValidationException("Collection types are not supported with an OfflineStoreConfig.")
        request = copy.deepcopy(group.request)
        online_update = params.get("OnlineStoreConfig")
        if online_update is not None:
            if not group.online_enabled:
                raise ValidationException(f"FeatureGroup {group.name} has no online store to update.")
            requests.check_ttl(online_update.get("TtlDuration"))
            if "TtlDuration" in online_update:
                request["OnlineStoreConfig"]["TtlDuration"] = online_update["TtlDuration"]
        glue_table = group.offline_enabled and not group.offline_config.get("DisableGlueTableCreation")
        if additions and glue_table and is_iceberg(group):
            # The Iceberg schema evolves first: a flush meanwhile never meets a feature the table lacks.
            catalog = group.offline_config["DataCatalogConfig"]
            self.iceberg.add_columns(
                group.account_id,
                group.region,
                catalog["Database"],
                catalog["TableName"],
                [(d["FeatureName"], iceberg_type(d)) for d in additions],
            )
        definitions = group.feature_definitions + additions
        request["FeatureDefinitions"] = definitions
        now = self.clock()
        values: dict[str, Any] = {"request": request, "feature_definitions": definitions, "last_modified": now}
        if additions:
            values["last_update_status"] = {"Status": "Successful"}
        with self.store.write() as db:
            repo.update_group(db, group.id, values)
        self._forget(group.arn)
        updated = self.get(account_id, region, group.name)
        if additions and glue_table and not is_iceberg(group):
            self._refresh_table(updated)
        return updated

    def _refresh_table(self, group: FeatureGroup) -> None:
        catalog = group.offline_config["DataCatalogConfig"]
        try:
            self.catalog.delete_table(group.account_id, group.region, catalog["Database"], catalog["TableName"])
        except Exception:
            pass
        self.catalog.create_table(group.account_id, group.region, catalog["Database"], table_input(group))

    # --- feature metadata ------------------------------------------------------------------------
    def feature(self, group: FeatureGroup, feature_name: str) -> dict[str, Any]:
        definition = group.definitions_by_name.get(feature_name)
        if definition is None:
            raise ResourceNotFound(
                f"Resource Not Found: Amazon SageMaker can't find a feature with name "
                f"{feature_name} in FeatureGroup {group.name}"
            )
        return definition

    def update_feature_metadata(self, account_id: str, region: str, params: Mapping[str, Any]) -> None:
        group = self.get(account_id, region, params["FeatureGroupName"])
        name = params["FeatureName"]
        self.feature(group, name)
        now = self.clock()
        metadata = copy.deepcopy(group.feature_metadata)
        entry = metadata.setdefault(name, {"CreationTime": group.created_at.timestamp(), "Parameters": {}})
        if "Description" in params:
            entry["Description"] = params["Description"]
        for addition in params.get("ParameterAdditions") or []:
            entry["Parameters"][addition["Key"]] = addition["Value"]
        for removal in params.get("ParameterRemovals") or []:
            entry["Parameters"].pop(removal, None)
        entry["LastModifiedTime"] = now.timestamp()
        with self.store.write() as db:
            repo.update_group(db, group.id, {"feature_metadata": metadata, "last_modified": now})
        self._forget(group.arn)


def _in_use(name: str) -> ResourceInUse:
    return ResourceInUse(
        f"Resource Already Exists: FeatureGroup with name {name} already exists. Choose a different name."
    )
