"""Iceberg tables registered in our Glue Data Catalog, as AWS keeps them: the Glue table's parameters
``table_type=ICEBERG`` and ``metadata_location`` point at the current metadata JSON in S3. pyiceberg
writes data files, manifests and metadata through our object store (objectfs.py); a commit writes
the next ``metadata/NNNNN-<uuid>.metadata.json`` and swaps the Glue pointer only if it still names
the metadata the commit started from (the catalog's compare-and-swap)."""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa
from pyarrow.fs import FileSystem, PyFileSystem
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.catalog.noop import NoopCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile, ToOutputFile
from pyiceberg.table import CommitTableResponse, StaticTable, Table
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import new_table_metadata
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
from pyiceberg.table.update import TableRequirement, TableUpdate, update_table_metadata
from pyiceberg.types import IcebergType, ListType

from sagecraft.services.glue.objectfs import ObjectStoreFileSystem
from sagecraft.services.glue.service import GlueService, InvalidInput, is_iceberg
from sagecraft.storage.objects.base import ObjectStore

# Iceberg primitive types as Glue (Hive) column types; Athena reads the Glue columns.
HIVE_TYPES = {
    "boolean": "boolean",
    "int": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "date": "date",
    "string": "string",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "binary": "binary",
}
# What Athena puts in the storage descriptor of the Iceberg tables it creates.
ICEBERG_DESCRIPTOR = {
    "InputFormat": "org.apache.hadoop.mapred.FileInputFormat",
    "OutputFormat": "org.apache.hadoop.mapred.FileOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
}


def hive_type(kind: IcebergType) -> str:
    if isinstance(kind, ListType):
        return f"array<{hive_type(kind.element_type)}>"
    name = str(kind)
    if name.startswith("decimal"):
        return name.replace(" ", "")
    return HIVE_TYPES[name]


def glue_columns(schema: Schema) -> list[dict[str, str]]:
    # Glue and Athena know lower-case column names; the Iceberg schema keeps the features' own case.
    return [{"Name": field.name.lower(), "Type": hive_type(field.field_type)} for field in schema.fields]


class ObjectStoreFileIO(PyArrowFileIO):
    """pyiceberg's pyarrow FileIO with ``s3://`` served by our object store."""

    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects
        super().__init__()

    def _initialize_fs(self, scheme: str, netloc: str | None = None) -> FileSystem:
        if scheme not in ("s3", "s3a", "s3n"):
            raise ValueError(f"Iceberg tables on {scheme}:// are not supported by Sagecraft yet; use s3://")
        return PyFileSystem(ObjectStoreFileSystem(self.objects))


class _GlueCommits(NoopCatalog):
    """The catalog a loaded table commits through: ``commit_table``, and ``load_table`` for the
    refresh pyiceberg does before retrying a commit that lost a race (pyiceberg's NoopCatalog
    refuses everything else)."""

    def __init__(self, tables: IcebergTables, account_id: str, region: str) -> None:
        super().__init__("sagecraft-glue")
        self.tables, self.account_id, self.region = tables, account_id, region

    def load_table(self, identifier: str | tuple[str, ...]) -> Table:
        database, name = self.identifier_to_tuple(identifier)[-2:]
        return self.tables.load(self.account_id, self.region, database, name)

    def commit_table(
        self, table: Table, requirements: tuple[TableRequirement, ...], updates: tuple[TableUpdate, ...]
    ) -> CommitTableResponse:
        database, name = table.name()[-2:]
        current = self.tables.load(self.account_id, self.region, database, name)
        for requirement in requirements:
            requirement.validate(current.metadata)  # raises CommitFailedException
        metadata = update_table_metadata(current.metadata, updates, metadata_location=current.metadata_location)
        if metadata == current.metadata:
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)
        version = MetastoreCatalog._parse_metadata_version(current.metadata_location) + 1
        provider = load_location_provider(metadata.location, metadata.properties)
        location = provider.new_table_metadata_file_location(version)
        ToOutputFile.table_metadata(metadata, self.tables.io.new_output(location))
        swapped = self.tables.glue.swap_iceberg_metadata(
            self.account_id,
            self.region,
            database,
            name,
            current.metadata_location,
            location,
            glue_columns(metadata.schema()),
        )
        if not swapped:
            raise CommitFailedException(f"Table {database}.{name} was changed by another commit: retry")
        return CommitTableResponse(metadata=metadata, metadata_location=location)


class IcebergTables:
    def __init__(self, glue: GlueService, objects: ObjectStore) -> None:
        self.glue = glue
        self.io = ObjectStoreFileIO(objects)
        # Writers of this server take turns per catalog; the Glue swap still refuses a stale commit.
        self._commit_lock = threading.Lock()

    def create(
        self,
        account_id: str,
        region: str,
        database: str,
        table_input: dict[str, Any],
        schema: Schema,
        partition_spec: PartitionSpec,
        properties: dict[str, str] | None = None,
    ) -> str:
        """Writes the table's first metadata file and registers it in Glue; returns its location."""
        descriptor = table_input.get("StorageDescriptor") or {}
        location = (descriptor.get("Location") or "").rstrip("/")
        if not location.startswith("s3://"):
            raise InvalidInput("An Iceberg table needs an s3:// StorageDescriptor.Location.")
        metadata = new_table_metadata(schema, partition_spec, UNSORTED_SORT_ORDER, location, properties or {})
        metadata_location = load_location_provider(location, metadata.properties).new_table_metadata_file_location(0)
        ToOutputFile.table_metadata(metadata, self.io.new_output(metadata_location))
        entry = {
            **table_input,
            "TableType": table_input.get("TableType") or "EXTERNAL_TABLE",
            "Parameters": {
                **(table_input.get("Parameters") or {}),
                "table_type": "ICEBERG",
                "metadata_location": metadata_location,
            },
            "StorageDescriptor": {
                **ICEBERG_DESCRIPTOR,
                **descriptor,
                "Location": location,
                "Columns": glue_columns(metadata.schema()),
            },
        }
        entry.pop("PartitionKeys", None)  # Iceberg partitions are hidden: not Hive partition columns
        self.glue.create_table(account_id, region, database, entry)
        return metadata_location

    def load(self, account_id: str, region: str, database: str, name: str) -> Table:
        entry = self.glue.get_table(account_id, region, database, name)
        location = self._metadata_location(entry, database, name)
        metadata = FromInputFile.table_metadata(self.io.new_input(location))
        return Table((database, entry["Name"]), metadata, location, self.io, _GlueCommits(self, account_id, region))

    def append(self, account_id: str, region: str, database: str, name: str, rows: pa.Table) -> None:
        """One snapshot adding ``rows`` (partitioned by the table's spec)."""
        with self._commit_lock:
            self.load(account_id, region, database, name).append(rows)

    def add_columns(
        self, account_id: str, region: str, database: str, name: str, columns: list[tuple[str, IcebergType]]
    ) -> None:
        """Schema evolution: new optional columns (older data files read them as NULL)."""
        with self._commit_lock:
            table = self.load(account_id, region, database, name)
            present = {field.name.lower() for field in table.schema().fields}
            with table.update_schema() as update:
                for column, kind in columns:
                    if column.lower() not in present:
                        update.add_column(column, kind)

    def scan(self, entry: dict[str, Any]) -> pa.Table:
        """The rows of the table's current snapshot (Glue ``GetTable`` output in, Arrow out)."""
        database, name = entry.get("DatabaseName", ""), entry.get("Name", "")
        location = self._metadata_location(entry, database, name)
        metadata = FromInputFile.table_metadata(self.io.new_input(location))
        table = StaticTable((database, name), metadata, location, self.io, NoopCatalog("sagecraft-read"))
        return table.scan().to_arrow()

    @staticmethod
    def _metadata_location(entry: dict[str, Any], database: str, name: str) -> str:
        location = (entry.get("Parameters") or {}).get("metadata_location")
        if not is_iceberg(entry) or not location:
            raise InvalidInput(f"Table {database}.{name} is not an Iceberg table (no metadata_location).")
        return location
