"""SQL for the glue_databases and glue_tables tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagecraft.storage.metadata.schema import glue_databases, glue_tables


def database(db: Connection, account_id: str, region: str, name: str) -> Any:
    return db.execute(
        select(glue_databases).where(
            glue_databases.c.account_id == account_id, glue_databases.c.region == region, glue_databases.c.name == name
        )
    ).first()


def databases(db: Connection, account_id: str, region: str) -> list[Any]:
    return list(
        db.execute(
            select(glue_databases)
            .where(glue_databases.c.account_id == account_id, glue_databases.c.region == region)
            .order_by(glue_databases.c.name)
        )
    )


def insert_database(
    db: Connection, account_id: str, region: str, name: str, description: str | None, now: dt.datetime
) -> None:
    db.execute(
        insert(glue_databases).values(
            account_id=account_id, region=region, name=name, description=description, created_at=now
        )
    )


def delete_database(db: Connection, account_id: str, region: str, name: str) -> None:
    db.execute(
        delete(glue_tables).where(
            glue_tables.c.account_id == account_id, glue_tables.c.region == region, glue_tables.c.database == name
        )
    )
    db.execute(
        delete(glue_databases).where(
            glue_databases.c.account_id == account_id, glue_databases.c.region == region, glue_databases.c.name == name
        )
    )


def table(db: Connection, account_id: str, region: str, database_name: str, name: str) -> Any:
    return db.execute(
        select(glue_tables).where(
            glue_tables.c.account_id == account_id,
            glue_tables.c.region == region,
            glue_tables.c.database == database_name,
            glue_tables.c.name == name,
        )
    ).first()


def tables(db: Connection, account_id: str, region: str, database_name: str) -> list[Any]:
    return list(
        db.execute(
            select(glue_tables)
            .where(
                glue_tables.c.account_id == account_id,
                glue_tables.c.region == region,
                glue_tables.c.database == database_name,
            )
            .order_by(glue_tables.c.name)
        )
    )


def insert_table(
    db: Connection,
    account_id: str,
    region: str,
    database_name: str,
    name: str,
    table_input: dict[str, Any],
    now: dt.datetime,
) -> None:
    db.execute(
        insert(glue_tables).values(
            account_id=account_id,
            region=region,
            database=database_name,
            name=name,
            table_input=table_input,
            created_at=now,
            updated_at=now,
        )
    )


def update_table(db: Connection, row_id: int, table_input: dict[str, Any], now: dt.datetime) -> None:
    db.execute(update(glue_tables).where(glue_tables.c.id == row_id).values(table_input=table_input, updated_at=now))


def update_table_if_unchanged(
    db: Connection, row_id: int, updated_at: dt.datetime, table_input: dict[str, Any], now: dt.datetime
) -> bool:
    """Optimistic update: only if nobody updated the row since it was read at ``updated_at``."""
    result = db.execute(
        update(glue_tables)
        .where(glue_tables.c.id == row_id, glue_tables.c.updated_at == updated_at)
        .values(table_input=table_input, updated_at=now)
    )
    return result.rowcount == 1


def delete_table(db: Connection, account_id: str, region: str, database_name: str, name: str) -> bool:
    result = db.execute(
        delete(glue_tables).where(
            glue_tables.c.account_id == account_id,
            glue_tables.c.region == region,
            glue_tables.c.database == database_name,
            glue_tables.c.name == name,
        )
    )
    return result.rowcount > 0
