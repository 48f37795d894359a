"""Wiring of the feature store: the online store chosen by URL, the offline writer, the Glue catalog
and Athena over them.

Environment: ``SAGECRAFT_FEATURESTORE_ONLINE_URL`` (``sqlite:///path`` — the default, a file of its
own under the home — or ``redis://host:port/db``), ``SAGECRAFT_FEATURESTORE_FLUSH_SECONDS`` (how
often the offline journal becomes Parquet, default 30)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagecraft.config.settings import Settings
from sagecraft.services.athena.engine import Engine
from sagecraft.services.athena.provider import AthenaProvider
from sagecraft.services.athena.service import AthenaService
from sagecraft.services.athena.tables import TableReader
from sagecraft.services.featurestore.catalog import is_iceberg
from sagecraft.services.featurestore.commit import GroupCommitter
from sagecraft.services.featurestore.offline import OfflineTarget, OfflineWriter
from sagecraft.services.featurestore.online import OnlineStore
from sagecraft.services.featurestore.online_sqlite import SqliteOnlineStore
from sagecraft.services.featurestore.provider import FeatureGroupProvider
from sagecraft.services.featurestore.runtime import RecordService
from sagecraft.services.featurestore.runtime_provider import FeatureStoreRuntimeProvider
from sagecraft.services.featurestore.sealing import RecordSealer, offline_kms_key
from sagecraft.services.featurestore.searchers import FeatureStoreSearchers
from sagecraft.services.featurestore.service import FeatureGroupService
from sagecraft.services.glue.provider import GlueProvider
from sagecraft.services.glue.service import GlueService
from sagecraft.services.kms.data_keys import ServiceDataKeys
from sagecraft.services.kms.service import KmsService
from sagecraft.services.search.registry import SearchRegistry
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore

ONLINE_URL_ENV = "SAGECRAFT_FEATURESTORE_ONLINE_URL"
FLUSH_ENV = "SAGECRAFT_FEATURESTORE_FLUSH_SECONDS"
DEFAULT_FLUSH_SECONDS = 30.0


@dataclass
class FeatureStoreProviders:
    control: FeatureGroupProvider  # joins the sagemaker composite
    runtime: FeatureStoreRuntimeProvider
    glue: GlueProvider
    athena: AthenaProvider
    offline: OfflineWriter
    groups: FeatureGroupService


class LazyIcebergTables:
    """services/glue/iceberg.py's IcebergTables, made on first use: pyiceberg costs most of a second
    of CPU to import, which a server without Iceberg tables need not pay at every start."""

    def __init__(self, glue: GlueService, objects: ObjectStore) -> None:
        self.glue, self.objects = glue, objects
        self._tables: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._tables is None:
                from sagecraft.services.glue.iceberg import IcebergTables

                self._tables = IcebergTables(self.glue, self.objects)
            return self._tables

    def create(self, *args: Any) -> str:
        return self._loaded().create(*args)

    def add_columns(self, *args: Any) -> None:
        self._loaded().add_columns(*args)

    def append(self, *args: Any) -> None:
        self._loaded().append(*args)

    def scan(self, entry: dict[str, Any]) -> Any:
        return self._loaded().scan(entry)


def open_online_store(url: str, home: Path) -> OnlineStore:
    if url.startswith("redis://") or url.startswith("rediss://"):
        from sagecraft.services.featurestore.online_redis import RedisOnlineStore

        return RedisOnlineStore(url, home / "featurestore" / "offline-journal.sqlite3")
    path = Path(url.removeprefix("sqlite:///")) if url else home / "featurestore" / "online.sqlite3"
    return SqliteOnlineStore(path)


def featurestore_providers(
    settings: Settings,
    metadata: MetadataStore,
    objects: ObjectStore,
    closers: list,
    search: SearchRegistry,
    kms: KmsService | None = None,
) -> FeatureStoreProviders:
    online = open_online_store(os.environ.get(ONLINE_URL_ENV, ""), settings.home)
    closers.append(online.close)
    # Only a store that commits many writers in one transaction gets the group committer; the
    # Redis store keeps its writes concurrent on worker threads.
    batch = getattr(online, "apply_batch", None)
    committer = GroupCommitter(batch) if batch is not None else None
    if committer is not None:
        closers.append(committer.close)  # closers run in reverse: before the store closes
    glue = GlueService(metadata, objects)
    iceberg = LazyIcebergTables(glue, objects)
    sealer = RecordSealer(ServiceDataKeys(kms) if kms is not None else None)
    groups = FeatureGroupService(
        metadata, online, glue, lambda bucket: objects.get_bucket(bucket) is not None, iceberg, sealer=sealer
    )

    def resolve(key: str) -> OfflineTarget | None:
        group = groups.by_store_key(key)
        if group is None or not group.offline_enabled:
            return None
        catalog = group.offline_config["DataCatalogConfig"]
        table = (group.account_id, group.region, catalog["Database"], catalog["TableName"])
        return OfflineTarget(
            group.resolved_output_uri,
            group.feature_definitions,
            table if is_iceberg(group) else None,
            offline_kms_key(group.request),
        )

    def open_row(key: str, row: Any) -> dict[str, Any]:
        group = groups.by_store_key(key)
        return sealer.open(group, row) if group is not None else row

    interval = float(os.environ.get(FLUSH_ENV) or DEFAULT_FLUSH_SECONDS)
    offline = OfflineWriter(online, objects, resolve, interval, iceberg, open_row)
    groups.before_delete.append(offline.flush)
    searchers = FeatureStoreSearchers(groups)
    search.register("FeatureGroup", searchers.feature_groups)
    search.register("FeatureMetadata", searchers.feature_metadata)
    offline.start()
    groups.start()
    closers.append(groups.close)
    closers.append(offline.stop)  # runs before the online store closes (closers run in reverse)
    work = settings.home / "featurestore"
    engine = Engine(
        glue, TableReader(objects, work / "athena-cache", iceberg.scan), work / "athena-results", offline.flush
    )
    athena = AthenaService(metadata, objects, engine)
    athena.start()
    closers.append(athena.close)
    return FeatureStoreProviders(
        FeatureGroupProvider(groups),
        FeatureStoreRuntimeProvider(RecordService(groups, online), committer),
        GlueProvider(glue),
        AthenaProvider(athena),
        offline,
        groups,
    )
