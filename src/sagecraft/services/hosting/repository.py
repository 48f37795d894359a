"""SQL for the hosting_resources table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from sagecraft.services.hosting.models import ACTIVE, Kind, Resource
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import hosting_resources as table


def insert_resource(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(table).values(**values)).inserted_primary_key[0])


def by_arn(db: Connection, arn: str, lock: bool = False) -> Resource | None:
    statement = select(table).where(table.c.arn == arn)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    return Resource.from_row(row) if row else None


def by_id(db: Connection, resource_id: int) -> Resource | None:
    row = db.execute(select(table).where(table.c.id == resource_id)).first()
    return Resource.from_row(row) if row else None


def active_endpoints(db: Connection) -> list[Resource]:
    statement = select(table).where(table.c.kind == Kind.ENDPOINT.value, table.c.status.in_(ACTIVE))
    return [Resource.from_row(row) for row in db.execute(statement.order_by(table.c.id))]


def listing(db: Connection, account_id: str, region: str, kind: Kind) -> list[Resource]:
    statement = select(table).where(table.c.account_id == account_id, table.c.region == region,
                                    table.c.kind == kind.value)
    return [Resource.from_row(row) for row in db.execute(statement.order_by(table.c.id))]


def remove(db: Connection, resource_id: int) -> bool:
    return db.execute(delete(table).where(table.c.id == resource_id)).rowcount == 1


def set_values(db: Connection, resource_id: int, values: Mapping[str, Any]) -> None:
    db.execute(sql_update(table).where(table.c.id == resource_id).values(**values))


def update(db: Connection, resource_id: int, expected_status: str, values: Mapping[str, Any]) -> bool:
    """Compare-and-set on the status: the step of the state machine happens only from the state seen."""
    return compare_and_set(db, table, {"id": resource_id}, {"status": expected_status}, values)
