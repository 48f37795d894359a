"""The Glue Data Catalog subset: databases and tables kept in the metadata store; partitions read
from the table's S3 location (Hive-style ``key=value`` folders), as a crawler would find them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ClientError
from sagecraft.services.glue import repository as repo
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import BucketNotFound, ObjectStore


class EntityNotFound(ClientError):
    code = "EntityNotFoundException"


class AlreadyExists(ClientError):
    code = "AlreadyExistsException"


class InvalidInput(ClientError):
    code = "InvalidInputException"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class GlueService:
    def __init__(self, store: MetadataStore, objects: ObjectStore) -> None:
        self.store = store
        self.objects = objects

    # databases
    def create_database(self, account_id: str, region: str, name: str, description: str | None = None) -> None:
        try:
            with self.store.write() as db:
                if repo.database(db, account_id, region, name) is not None:
                    raise AlreadyExists(f"Database already exists: {name}")
                repo.insert_database(db, account_id, region, name, description, _now())
        except IntegrityError:
            raise AlreadyExists(f"Database already exists: {name}") from None

    def ensure_database(self, account_id: str, region: str, name: str) -> None:
        try:
            self.create_database(account_id, region, name)
        except AlreadyExists:
            pass

    def get_database(self, account_id: str, region: str, name: str) -> dict[str, Any]:
        with self.store.read() as db:
            row = repo.database(db, account_id, region, name)
        if row is None:
            raise EntityNotFound(f"Database {name} not found.")
        return _database(row)

    def get_databases(self, account_id: str, region: str) -> list[dict[str, Any]]:
        with self.store.read() as db:
            return [_database(row) for row in repo.databases(db, account_id, region)]

    def delete_database(self, account_id: str, region: str, name: str) -> None:
        self.get_database(account_id, region, name)
        with self.store.write() as db:
            repo.delete_database(db, account_id, region, name)

    # tables
    def create_table(self, account_id: str, region: str, database: str, table_input: dict[str, Any]) -> None:
        name = (table_input.get("Name") or "").lower()
        if not name:
            raise InvalidInput("TableInput.Name is required.")
        self.get_database(account_id, region, database)
        try:
            with self.store.write() as db:
                if repo.table(db, account_id, region, database, name) is not None:
                    raise AlreadyExists(f"Table already exists: {name}")
                repo.insert_table(db, account_id, region, database, name, {**table_input, "Name": name}, _now())
        except IntegrityError:
            raise AlreadyExists(f"Table already exists: {name}") from None

    def get_table(self, account_id: str, region: str, database: str, name: str) -> dict[str, Any]:
        with self.store.read() as db:
            row = repo.table(db, account_id, region, database, name.lower())
        if row is None:
            self.get_database(account_id, region, database)
            raise EntityNotFound(f"Table {name} not found.")
        return _table(row, account_id)

    def get_tables(self, account_id: str, region: str, database: str) -> list[dict[str, Any]]:
        self.get_database(account_id, region, database)
        with self.store.read() as db:
            return [_table(row, account_id) for row in repo.tables(db, account_id, region, database)]

    def swap_iceberg_metadata(
        self,
        account_id: str,
        region: str,
        database: str,
        name: str,
        expected: str,
        metadata_location: str,
        columns: list[dict[str, str]],
    ) -> bool:
        """Points an Iceberg table at new metadata if it still points at ``expected`` (one
        transaction: concurrent commits cannot both win); False when another commit came first."""
        with self.store.write() as db:
            row = repo.table(db, account_id, region, database, name.lower())
            if row is None:
                raise EntityNotFound(f"Table {name} not found.")
            parameters = dict(row.table_input.get("Parameters") or {})
            if parameters.get("metadata_location") != expected:
                return False
            parameters.update(previous_metadata_location=expected, metadata_location=metadata_location)
            descriptor = {**(row.table_input.get("StorageDescriptor") or {}), "Columns": columns}
            table_input = {**row.table_input, "Parameters": parameters, "StorageDescriptor": descriptor}
            return repo.update_table_if_unchanged(db, row.id, row.updated_at, table_input, _now())

    def delete_table(self, account_id: str, region: str, database: str, name: str) -> None:
        self.get_database(account_id, region, database)
        with self.store.write() as db:
            if not repo.delete_table(db, account_id, region, database, name.lower()):
                raise EntityNotFound(f"Table {name} not found.")

    def get_partitions(self, account_id: str, region: str, database: str, name: str) -> list[dict[str, Any]]:
        table = self.get_table(account_id, region, database, name)
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        location = table.get("StorageDescriptor", {}).get("Location") or ""
        if not keys or not location.startswith("s3://"):
            return []
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/"
        found: dict[tuple[str, ...], str] = {}
        for key in self.list_keys(bucket, prefix):
            parts = key[len(prefix) :].split("/")[: len(keys)]
            values = tuple(p.partition("=")[2] for p in parts)
            if len(parts) == len(keys) and all(p.startswith(f"{k}=") for p, k in zip(parts, keys, strict=True)):
                found.setdefault(values, f"s3://{bucket}/{prefix}{'/'.join(parts)}")
        return [
            {
                "Values": list(values),
                "DatabaseName": database,
                "TableName": table["Name"],
                "CatalogId": account_id,
                "StorageDescriptor": {**table["StorageDescriptor"], "Location": where},
            }
            for values, where in sorted(found.items())
        ]

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        after = ""
        try:
            while True:
                page = self.objects.list_objects(bucket, prefix=prefix, after=after)
                keys.extend(o.key for o in page.objects)
                if not page.truncated or page.last is None:
                    return keys
                after = page.last
        except BucketNotFound:
            return keys


def is_iceberg(table: dict[str, Any]) -> bool:
    """A Glue table that is an Iceberg table's pointer (services/glue/iceberg.py)."""
    return str((table.get("Parameters") or {}).get("table_type", "")).upper() == "ICEBERG"


def _database(row: Any) -> dict[str, Any]:
    out = {"Name": row.name, "CreateTime": row.created_at, "CatalogId": row.account_id}
    if row.description:
        out["Description"] = row.description
    return out


def _table(row: Any, account_id: str) -> dict[str, Any]:
    return {
        **row.table_input,
        "DatabaseName": row.database,
        "CreateTime": row.created_at,
        "UpdateTime": row.updated_at,
        "CatalogId": account_id,
    }
