"""The offline store writer: journal rows become Parquet files in SageMaker's layout.

PutRecord/DeleteRecord append their offline rows to the durable journal (online_sqlite.py) before
they answer; this writer drains the journal every ``interval`` seconds (and on demand: before an
Athena query reads the tables, and at shutdown) into
``<ResolvedOutputS3Uri>/year=YYYY/month=MM/day=DD/hour=HH/<stamp>_<id>.parquet`` — partitioned by
event time, as SageMaker does — and only then removes the rows from the journal. A group with
TableFormat Iceberg gets one Iceberg append (one snapshot, data files partitioned by the table's
spec) per flush instead."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from sagecraft.services.featurestore.online import OnlineStore
from sagecraft.storage.objects.base import ObjectMeta, ObjectStore

log = logging.getLogger(__name__)

ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
SYSTEM_FIELDS = [
    pa.field("write_time", pa.timestamp("ms", tz="UTC")),
    pa.field("api_invocation_time", pa.timestamp("ms", tz="UTC")),
    pa.field("is_deleted", pa.bool_()),
]
BATCH = 50_000


@dataclass(frozen=True)
class OfflineTarget:
    """Where a feature group incarnation's offline rows go."""

    uri: str  # ResolvedOutputS3Uri
    definitions: list[dict[str, Any]]
    iceberg_table: tuple[str, str, str, str] | None = None  # (account, region, database, table) for Iceberg
    kms_key_id: str | None = None  # S3StorageConfig.KmsKeyId: Parquet files are written SSE-KMS with it


class IcebergAppender(Protocol):
    def append(self, account_id: str, region: str, database: str, name: str, rows: pa.Table) -> None: ...


# The target of a feature group incarnation (by store key), None when it is gone.
Resolver = Callable[[str], OfflineTarget | None]
# A journal row as the writer reads it, by store key: sealed rows (sealing.py) are opened.
RowOpener = Callable[[str, Any], dict[str, Any]]


def _as_is(key: str, row: Any) -> dict[str, Any]:
    return row


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def arrow_schema(definitions: list[dict[str, Any]]) -> pa.Schema:
    fields = []
    for definition in definitions:
        base = ARROW_TYPES[definition["FeatureType"]]
        # Glue and Athena know lower-case column names only; the feature's own name is kept as metadata.
        fields.append(
            pa.field(
                definition["FeatureName"].lower(),
                pa.list_(base) if definition.get("CollectionType") else base,
                metadata={"feature_name": definition["FeatureName"]},
            )
        )
    return pa.schema(fields + SYSTEM_FIELDS)


def _typed(value: Any, base: pa.DataType) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_typed(v, base) for v in value]
    if base == pa.int64():
        return int(value)
    if base == pa.float64():
        return float(value)
    return value


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    columns = {}
    for field in schema:
        base = field.type.value_type if pa.types.is_list(field.type) else field.type
        if field.name in ("write_time", "api_invocation_time"):
            columns[field.name] = [dt.datetime.fromtimestamp(r[field.name], dt.timezone.utc) for r in rows]
        elif field.name == "is_deleted":
            columns[field.name] = [bool(r["is_deleted"]) for r in rows]
        else:
            feature = field.metadata[b"feature_name"].decode()
            columns[field.name] = [_typed(r["values"].get(feature), base) for r in rows]
    return pa.table(columns, schema=schema)


def iceberg_rows(rows: list[dict[str, Any]], definitions: list[dict[str, Any]]) -> pa.Table:
    """Rows shaped as the Iceberg schema (catalog.py): features by their own names, UTC timestamps
    in microseconds without a zone (Iceberg ``timestamp``)."""
    columns: dict[str, pa.Array] = {}
    for definition in definitions:
        base = ARROW_TYPES[definition["FeatureType"]]
        name = definition["FeatureName"]
        columns[name] = pa.array([_typed(r["values"].get(name), base) for r in rows], base)
    for name in ("write_time", "api_invocation_time"):
        columns[name] = pa.array([round(r[name] * 1_000_000) for r in rows], pa.int64()).cast(pa.timestamp("us"))
    columns["is_deleted"] = pa.array([bool(r["is_deleted"]) for r in rows], pa.bool_())
    return pa.table(columns)


def partition_of(event_time: float) -> str:
    moment = dt.datetime.fromtimestamp(event_time, dt.timezone.utc)
    return f"year={moment:%Y}/month={moment:%m}/day={moment:%d}/hour={moment:%H}"


class OfflineWriter:
    def __init__(
        self,
        online: OnlineStore,
        objects: ObjectStore,
        resolve: Resolver,
        interval: float,
        iceberg: IcebergAppender,
        open_row: RowOpener = _as_is,
    ) -> None:
        self.open_row = open_row
        self.online = online
        self.objects = objects
        self.resolve = resolve
        self.iceberg = iceberg
        self.interval = interval
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="featurestore-offline", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # keep the rows in the journal; the next round retries
                log.exception("offline store flush failed")

    def flush(self) -> int:
        """Write every journaled row to Parquet; returns how many rows were written."""
        written = 0
        with self._flush_lock:
            while True:
                taken = self.online.journal_take(BATCH)
                if not taken:
                    return written
                written += self._write_batch(taken)
                if len(taken) < BATCH:
                    return written

    def _write_batch(self, taken: list[tuple[int, str, str]]) -> int:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _seq, key, row in taken:
            groups[key].append(json.loads(row))
        written = 0
        for key, rows in groups.items():
            target = self.resolve(key)
            if target is None:
                log.warning("dropping %d offline rows of a deleted feature group %s", len(rows), key)
                continue
            rows = [self.open_row(key, row) for row in rows]
            if target.iceberg_table is not None:
                self.iceberg.append(*target.iceberg_table, iceberg_rows(rows, target.definitions))
            else:
                self._write_parquet(target, rows)
            written += len(rows)
        self.online.journal_ack([seq for seq, _key, _row in taken])
        return written

    def _write_parquet(self, target: OfflineTarget, rows: list[dict[str, Any]]) -> None:
        by_partition: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_partition[partition_of(row["event_time"])].append(row)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        bucket, prefix = split_s3_uri(target.uri)
        schema = arrow_schema(target.definitions)
        for partition, partition_rows in by_partition.items():
            buffer = io.BytesIO()
            pq.write_table(to_table(partition_rows, schema), buffer)
            name = f"{prefix.rstrip('/')}/{partition}/{stamp}_{uuid.uuid4().hex[:16]}.parquet"
            sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": target.kms_key_id} if target.kms_key_id else {}
            meta = ObjectMeta(content_type="application/x-parquet", sse=sse)
            self.objects.put_object(bucket, name, buffer.getvalue(), meta)
