"""Glue tables as DuckDB views: the table's S3 objects are fetched into a local cache (kept while
their ETag holds) and read with read_parquet / read_csv, each column cast to its catalog type. An
Iceberg table (``table_type=ICEBERG``) is read as its current snapshot: pyiceberg's scan (which
honours the table's schema evolution and delete files) gives Arrow, registered in DuckDB."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sagecraft.services.athena.ddl import OPEN_CSV, PARQUET
from sagecraft.services.glue.service import is_iceberg
from sagecraft.storage.objects.base import BucketNotFound, ObjectStore

SCALARS = {
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "real": "FLOAT",
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "binary": "BLOB",
}


class TableError(Exception):
    pass


def duckdb_type(glue_type: str) -> str:
    kind = glue_type.strip().lower()
    array = re.fullmatch(r"array<(.+)>", kind)
    if array:
        return f"{duckdb_type(array.group(1))}[]"
    decimal = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", kind)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
    base = re.sub(r"\(.*\)$", "", kind)
    if base not in SCALARS:
        raise TableError(f"The column type {glue_type} is not supported by Sagecraft yet.")
    return SCALARS[base]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class TableReader:
    def __init__(
        self, objects: ObjectStore, cache_dir: Path, iceberg_scan: Callable[[dict[str, Any]], pa.Table]
    ) -> None:
        self.objects = objects
        self.cache_dir = cache_dir
        self.iceberg_scan = iceberg_scan

    def files(self, location: str, suffixes: tuple[str, ...] | None) -> list[str]:
        """Local copies of the objects under ``location`` (Athena skips names starting with _ or .)."""
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        local: list[str] = []
        after = ""
        try:
            while True:
                page = self.objects.list_objects(bucket, prefix=prefix, after=after)
                for info in page.objects:
                    base = info.key.rsplit("/", 1)[-1]
                    if info.size == 0 or base.startswith(("_", ".")) or info.key.endswith("/"):
                        continue
                    if suffixes and not base.endswith(suffixes):
                        continue
                    local.append(self._cached(bucket, info.key, info.etag))
                if not page.truncated or page.last is None:
                    return local
                after = page.last
        except BucketNotFound:
            raise TableError(f"The S3 location {location} does not exist.") from None

    def _cached(self, bucket: str, key: str, etag: str) -> str:
        # The key's folders are kept: DuckDB reads Hive partitions (year=…/month=…) from the path.
        digest = hashlib.sha256(f"{bucket}/{key}/{etag}".encode()).hexdigest()[:16]
        folders = [part for part in key.split("/")[:-1] if part not in ("", ".", "..")]
        path = self.cache_dir.joinpath(digest[:2], *folders, f"{digest}-{key.rsplit('/', 1)[-1]}")
        if path.exists():
            return str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _, chunks = self.objects.open_object(bucket, key)
        handle, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(temporary, path)
        return str(path)

    def view_sql(self, conn: duckdb.DuckDBPyConnection, table: dict[str, Any]) -> str:
        """The SELECT a view of ``table`` runs, columns in catalog order with catalog types."""
        descriptor = table.get("StorageDescriptor") or {}
        columns = [(c["Name"], duckdb_type(c["Type"])) for c in descriptor.get("Columns") or []]
        partitions = [(p["Name"], duckdb_type(p.get("Type", "string"))) for p in table.get("PartitionKeys") or []]
        serde = (descriptor.get("SerdeInfo") or {}).get("SerializationLibrary") or PARQUET
        location = descriptor.get("Location") or ""
        if is_iceberg(table):
            source = self._iceberg_source(conn, table)
        elif serde == PARQUET:
            files = self.files(location, (".parquet",))
            source = (
                (
                    f"read_parquet([{', '.join(map(literal, files))}], hive_partitioning=true, "
                    "hive_types_autocast=false, union_by_name=true)"
                )
                if files
                else None
            )
        else:
            files = self.files(location, None)
            source = self._csv_source(files, descriptor, columns) if files else None
        everything = columns + partitions
        if source is None:
            listed = ", ".join(f"CAST(NULL AS {kind}) AS {quote(name)}" for name, kind in everything)
            return f"SELECT {listed} WHERE false"
        present = {row[0].lower() for row in conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        listed = ", ".join(
            f"CAST({quote(name)} AS {kind}) AS {quote(name)}"
            if name.lower() in present
            else f"CAST(NULL AS {kind}) AS {quote(name)}"
            for name, kind in everything
        )
        return f"SELECT {listed} FROM {source}"

    def _iceberg_source(self, conn: duckdb.DuckDBPyConnection, table: dict[str, Any]) -> str:
        try:
            rows = self.iceberg_scan(table)
        except Exception as error:  # a missing or unreadable metadata / data file
            raise TableError(f"Iceberg table {table.get('Name')} cannot be read: {error}") from None
        qualified = f"{table.get('DatabaseName')}.{table.get('Name')}"
        name = f"iceberg_{hashlib.sha256(qualified.encode()).hexdigest()[:16]}"
        conn.register(name, rows)
        return quote(name)

    @staticmethod
    def _csv_source(files: list[str], descriptor: dict[str, Any], columns: list[tuple[str, str]]) -> str:
        serde = descriptor["SerdeInfo"]
        parameters = serde.get("Parameters") or {}
        if serde.get("SerializationLibrary") == OPEN_CSV:
            separator = parameters.get("separatorChar", ",")
            quote_char = parameters.get("quoteChar", '"')
            escape = parameters.get("escapeChar", "\\")
        else:
            separator, quote_char, escape = parameters.get("field.delim", ","), "", ""
        types = ", ".join(f"{literal(name)}: 'VARCHAR'" for name, _ in columns)
        return (
            f"read_csv([{', '.join(map(literal, files))}], header=false, delim={literal(separator)}, "
            f"quote={literal(quote_char)}, escape={literal(escape)}, columns={{{types}}}, "
            "null_padding=true, all_varchar=true)"
        )
