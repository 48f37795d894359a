"""SQL for lineage entities and associations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select

from sagecraft.services.lineage.models import Association, LineageEntity
from sagecraft.storage.metadata.schema import lineage_associations, lineage_entities


def insert_entity(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(lineage_entities).values(**values)).inserted_primary_key[0])


def entity(db: Connection, arn: str) -> LineageEntity | None:
    row = db.execute(select(lineage_entities).where(lineage_entities.c.arn == arn)).first()
    return LineageEntity.from_row(row) if row else None


def entities(db: Connection, account_id: str, region: str, kind: str) -> list[LineageEntity]:
    table = lineage_entities
    statement = select(table).where(table.c.account_id == account_id, table.c.region == region, table.c.kind == kind)
    return [LineageEntity.from_row(row) for row in db.execute(statement)]


def first_artifact_with_uri(db: Connection, account_id: str, region: str, uri: str) -> str | None:
    table = lineage_entities
    statement = (
        select(table.c.arn)
        .where(table.c.account_id == account_id, table.c.region == region, table.c.kind == "artifact")
        .where(table.c.source_uri == uri)
        .order_by(table.c.id)
        .limit(1)
    )
    return db.execute(statement).scalar()


def entities_by_arn(db: Connection, arns: list[str]) -> dict[str, LineageEntity]:
    if not arns:
        return {}
    rows = db.execute(select(lineage_entities).where(lineage_entities.c.arn.in_(arns)))
    return {row.arn: LineageEntity.from_row(row) for row in rows}


def delete_entity(db: Connection, arn: str) -> None:
    db.execute(delete(lineage_entities).where(lineage_entities.c.arn == arn))
    table = lineage_associations  # an entity's edges go with it
    db.execute(delete(table).where(or_(table.c.source_arn == arn, table.c.destination_arn == arn)))


def association(db: Connection, source_arn: str, destination_arn: str) -> Association | None:
    table = lineage_associations
    row = db.execute(
        select(table).where(table.c.source_arn == source_arn, table.c.destination_arn == destination_arn)
    ).first()
    return Association.from_row(row) if row else None


def insert_association(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(lineage_associations).values(**values))


def delete_association(db: Connection, source_arn: str, destination_arn: str) -> bool:
    table = lineage_associations
    result = db.execute(
        delete(table).where(table.c.source_arn == source_arn, table.c.destination_arn == destination_arn)
    )
    return result.rowcount == 1


def associations(db: Connection, account_id: str, region: str) -> list[Association]:
    table = lineage_associations
    statement = select(table).where(table.c.account_id == account_id, table.c.region == region).order_by(table.c.id)
    return [Association.from_row(row) for row in db.execute(statement)]


def edges_touching(db: Connection, arns: list[str], outgoing: bool) -> list[Association]:
    """Associations whose source (outgoing) or destination (incoming) is one of ``arns``."""
    table = lineage_associations
    column = table.c.source_arn if outgoing else table.c.destination_arn
    return [Association.from_row(row) for row in db.execute(select(table).where(column.in_(arns)))]
