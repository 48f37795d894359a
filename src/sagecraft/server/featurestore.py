"""Wiring of the feature store: the online store chosen by URL, the offline writer, the Glue catalog
and Athena over them.

Environment: ``SAGECRAFT_FEATURESTORE_ONLINE_URL`` (``sqlite:///path`` — the default, a file of its
own under the home — or ``redis://host:port/db``), ``SAGECRAFT_FEATURESTORE_FLUSH_SECONDS`` (how
often the offline journal becomes Parquet, default 30)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sagecraft.config.settings import Settings
from sagecraft.services.athena.engine import Engine
from sagecraft.services.athena.provider import AthenaProvider
from sagecraft.services.athena.service import AthenaService
from sagecraft.services.athena.tables import TableReader
from sagecraft.services.featurestore.commit import GroupCommitter
from sagecraft.services.featurestore.offline import OfflineWriter
from sagecraft.services.featurestore.online import OnlineStore
from sagecraft.services.featurestore.online_sqlite import SqliteOnlineStore
from sagecraft.services.featurestore.provider import FeatureGroupProvider
from sagecraft.services.featurestore.runtime import RecordService
from sagecraft.services.featurestore.runtime_provider import FeatureStoreRuntimeProvider
from sagecraft.services.featurestore.searchers import FeatureStoreSearchers
from sagecraft.services.featurestore.service import FeatureGroupService
from sagecraft.services.glue.provider import GlueProvider
from sagecraft.services.glue.service import GlueService
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


def open_online_store(url: str, home: Path) -> OnlineStore:
    if url.startswith("redis://") or url.startswith("rediss://"):
        from sagecraft.services.featurestore.online_redis import RedisOnlineStore

        return RedisOnlineStore(url, home / "featurestore" / "offline-journal.sqlite3")
    path = Path(url.removeprefix("sqlite:///")) if url else home / "featurestore" / "online.sqlite3"
    return SqliteOnlineStore(path)


def featurestore_providers(
    settings: Settings, metadata: MetadataStore, objects: ObjectStore, closers: list, search: SearchRegistry
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
    groups = FeatureGroupService(metadata, online, glue, lambda bucket: objects.get_bucket(bucket) is not None)

    def resolve(key: str):
        group = groups.by_store_key(key)
        return (group.resolved_output_uri, group.feature_definitions) if group and group.offline_enabled else None

    offline = OfflineWriter(online, objects, resolve, float(os.environ.get(FLUSH_ENV) or DEFAULT_FLUSH_SECONDS))
    groups.before_delete.append(offline.flush)
    searchers = FeatureStoreSearchers(groups)
    search.register("FeatureGroup", searchers.feature_groups)
    search.register("FeatureMetadata", searchers.feature_metadata)
    offline.start()
    groups.start()
    closers.append(groups.close)
    closers.append(offline.stop)  # runs before the online store closes (closers run in reverse)
    work = settings.home / "featurestore"
    engine = Engine(glue, TableReader(objects, work / "athena-cache"), work / "athena-results", offline.flush)
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
