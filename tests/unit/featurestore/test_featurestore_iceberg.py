"""Iceberg tables in our Glue catalog, on a real filesystem object store and SQLite metadata store:
the pyarrow filesystem over the object store, create / append / evolve / scan, the catalog's
compare-and-swap, and the offline rows as the Iceberg schema wants them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow.fs import FileSelector, FileType, PyFileSystem
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import TruncateTransform
from pyiceberg.types import BooleanType, LongType, NestedField, StringType, TimestampType

from sagecraft.services.featurestore.offline import iceberg_rows
from sagecraft.services.glue.iceberg import IcebergTables
from sagecraft.services.glue.objectfs import ObjectStoreFileSystem
from sagecraft.services.glue.service import GlueService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectMeta
from sagecraft.storage.objects.filesystem import FilesystemObjectStore

ACCOUNT, REGION, DATABASE = "000000000000", "us-east-1", "sagemaker_featurestore"
SCHEMA = Schema(
    NestedField(1, "Id", StringType(), required=False),
    NestedField(2, "EventTime", StringType(), required=False),
    NestedField(3, "n", LongType(), required=False),
    NestedField(4, "write_time", TimestampType(), required=False),
    NestedField(5, "is_deleted", BooleanType(), required=False),
)
SPEC = PartitionSpec(PartitionField(2, 1000, TruncateTransform(10), "EventTime_trunc"))
LOCATION = "s3://lake/offline-store/orders-1700000000"


@pytest.fixture
def objects(tmp_path):
    store = FilesystemObjectStore(tmp_path / "objects")
    store.create_bucket("lake", REGION)
    yield store
    store.close()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("metadata") / "metadata.sqlite3"
    MetadataStore.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def glue(tmp_path, objects, migrated):
    shutil.copy(migrated, tmp_path / "metadata.sqlite3")  # a migrated store, without migrating per test
    metadata = MetadataStore.open(f"sqlite:///{tmp_path / 'metadata.sqlite3'}")
    service = GlueService(metadata, objects)
    service.create_database(ACCOUNT, REGION, DATABASE)
    yield service
    metadata.close()


@pytest.fixture
def tables(glue, objects):
    tables = IcebergTables(glue, objects)
    tables.create(
        ACCOUNT, REGION, DATABASE, {"Name": "orders", "StorageDescriptor": {"Location": LOCATION}}, SCHEMA, SPEC
    )
    return tables


def rows(*values: tuple[str, str, int]) -> pa.Table:
    moment = dt.datetime(2024, 3, 4, 5, 6, 7, 123456)
    return pa.table(
        {
            "Id": pa.array([v[0] for v in values], pa.string()),
            "EventTime": pa.array([v[1] for v in values], pa.string()),
            "n": pa.array([v[2] for v in values], pa.int64()),
            "write_time": pa.array([moment] * len(values), pa.timestamp("us")),
            "is_deleted": pa.array([False] * len(values), pa.bool_()),
        }
    )


def keys(objects, prefix: str) -> list[str]:
    return [o.key for o in objects.list_objects("lake", prefix=prefix).objects]


def test_the_filesystem_reads_and_writes_objects(objects):
    fs = PyFileSystem(ObjectStoreFileSystem(objects))
    table = pa.table({"a": list(range(1000)), "b": [f"v{i}" for i in range(1000)]})
    pq.write_table(table, "lake/deep/x/one.parquet", filesystem=fs)
    objects.put_object("lake", "deep/two.txt", b"0123456789", ObjectMeta())
    assert pq.read_table("lake/deep/x/one.parquet", filesystem=fs).equals(table)
    with fs.open_input_file("lake/deep/two.txt") as handle:  # ranged reads
        handle.seek(3)
        assert handle.read(4) == b"3456"
        assert handle.size() == 10
    kinds = [info.type for info in fs.get_file_info(["lake/deep/two.txt", "lake/deep/x", "lake/nothing", "lake"])]
    assert kinds == [FileType.File, FileType.Directory, FileType.NotFound, FileType.Directory]
    shallow = fs.get_file_info(FileSelector("lake/deep"))
    assert sorted((i.path, i.type) for i in shallow) == [
        ("lake/deep/two.txt", FileType.File),
        ("lake/deep/x", FileType.Directory),
    ]
    assert len(fs.get_file_info(FileSelector("lake/deep", recursive=True))) == 2
    with pytest.raises(FileNotFoundError):
        fs.open_input_file("lake/deep/missing")
    with pytest.raises(FileNotFoundError):
        fs.open_output_stream("no-such-bucket/x")
    fs.delete_dir_contents("lake/deep")
    assert keys(objects, "deep/") == []


def test_create_registers_the_metadata_in_glue(glue, objects, tables):
    entry = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")
    assert entry["Parameters"]["table_type"] == "ICEBERG"
    location = entry["Parameters"]["metadata_location"]
    assert location.startswith(f"{LOCATION}/metadata/00000-") and location.endswith(".metadata.json")
    body = b"".join(objects.open_object("lake", location.removeprefix("s3://lake/"))[1])
    assert json.loads(body)["location"] == LOCATION
    assert entry["StorageDescriptor"]["Location"] == LOCATION
    assert [(c["Name"], c["Type"]) for c in entry["StorageDescriptor"]["Columns"]] == [
        ("id", "string"),
        ("eventtime", "string"),
        ("n", "bigint"),
        ("write_time", "timestamp"),
        ("is_deleted", "boolean"),
    ]
    assert "PartitionKeys" not in entry
    assert tables.scan(entry).num_rows == 0


def test_appends_are_snapshots_partitioned_by_day(glue, objects, tables):
    tables.append(ACCOUNT, REGION, DATABASE, "orders", rows(("a", "2024-03-04T05:00:00Z", 1)))
    tables.append(
        ACCOUNT, REGION, DATABASE, "orders", rows(("b", "2024-03-05T00:00:00Z", 2), ("c", "2024-03-04T23:59:59Z", 3))
    )
    entry = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")
    assert "/metadata/00002-" in entry["Parameters"]["metadata_location"]
    assert "/metadata/00001-" in entry["Parameters"]["previous_metadata_location"]
    scanned = tables.scan(entry)
    assert sorted(zip(scanned["Id"].to_pylist(), scanned["n"].to_pylist(), strict=True)) == [
        ("a", 1),
        ("b", 2),
        ("c", 3),
    ]
    data = keys(objects, "offline-store/orders-1700000000/data/")
    folders = sorted({key.split("/")[3] for key in data})
    assert folders == ["EventTime_trunc=2024-03-04", "EventTime_trunc=2024-03-05"]
    assert all(key.endswith(".parquet") for key in data)
    metadata = keys(objects, "offline-store/orders-1700000000/metadata/")
    assert sum(key.endswith(".metadata.json") for key in metadata) == 3
    assert sum(key.endswith(".avro") for key in metadata) >= 4  # a manifest and a manifest list per snapshot


def test_schema_evolution_updates_glue_and_reads_old_files_as_null(glue, tables):
    tables.append(ACCOUNT, REGION, DATABASE, "orders", rows(("a", "2024-03-04T05:00:00Z", 1)))
    tables.add_columns(ACCOUNT, REGION, DATABASE, "orders", [("Score", LongType())])
    newer = rows(("b", "2024-03-04T06:00:00Z", 2)).append_column("Score", pa.array([7], pa.int64()))
    tables.append(ACCOUNT, REGION, DATABASE, "orders", newer)
    entry = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")
    assert entry["StorageDescriptor"]["Columns"][-1] == {"Name": "score", "Type": "bigint"}
    scanned = tables.scan(entry).sort_by("Id")
    assert scanned["Score"].to_pylist() == [None, 7]


def test_a_commit_that_lost_a_race_is_retried_on_fresh_metadata(glue, tables):
    first = tables.load(ACCOUNT, REGION, DATABASE, "orders")
    second = tables.load(ACCOUNT, REGION, DATABASE, "orders")
    first.append(rows(("a", "2024-03-04T05:00:00Z", 1)))
    second.append(rows(("z", "2024-03-04T05:00:00Z", 9)))  # refused as stale, then redone on first's snapshot
    entry = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")
    assert sorted(tables.scan(entry)["Id"].to_pylist()) == ["a", "z"]
    assert "/metadata/00002-" in entry["Parameters"]["metadata_location"]
    assert len(second.metadata.snapshots) == 2


def test_the_glue_pointer_only_moves_from_the_metadata_a_commit_started_from(glue, tables):
    current = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")["Parameters"]["metadata_location"]
    assert not glue.swap_iceberg_metadata(ACCOUNT, REGION, DATABASE, "orders", "s3://lake/old.json", "s3://x", [])
    assert glue.get_table(ACCOUNT, REGION, DATABASE, "orders")["Parameters"]["metadata_location"] == current
    assert glue.swap_iceberg_metadata(ACCOUNT, REGION, DATABASE, "orders", current, "s3://lake/next.json", [])
    parameters = glue.get_table(ACCOUNT, REGION, DATABASE, "orders")["Parameters"]
    assert (parameters["metadata_location"], parameters["previous_metadata_location"]) == (
        "s3://lake/next.json",
        current,
    )


def test_offline_rows_take_the_iceberg_shape():
    journal = [
        {
            "values": {"Id": "a", "EventTime": "2024-03-04T05:06:07Z", "n": "3"},
            "event_time": 1709528767.0,
            "write_time": 1709528800.25,
            "api_invocation_time": 1709528799.5,
            "is_deleted": 0,
        },
    ]
    definitions = [
        {"FeatureName": "Id", "FeatureType": "String"},
        {"FeatureName": "EventTime", "FeatureType": "String"},
        {"FeatureName": "n", "FeatureType": "Integral"},
    ]
    table = iceberg_rows(journal, definitions)
    assert table.schema.names == ["Id", "EventTime", "n", "write_time", "api_invocation_time", "is_deleted"]
    assert table.schema.field("write_time").type == pa.timestamp("us")
    assert table.to_pylist()[0] == {
        "Id": "a",
        "EventTime": "2024-03-04T05:06:07Z",
        "n": 3,
        "write_time": dt.datetime(2024, 3, 4, 5, 6, 40, 250000),
        "api_invocation_time": dt.datetime(2024, 3, 4, 5, 6, 39, 500000),
        "is_deleted": False,
    }
