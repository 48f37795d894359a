"""SQL for the athena_queries table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sagecraft.storage.metadata.schema import athena_queries


def insert_query(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(athena_queries).values(**values))


def by_id(db: Connection, query_id: str) -> Any:
    return db.execute(select(athena_queries).where(athena_queries.c.query_id == query_id)).first()


def by_token(db: Connection, account_id: str, token: str) -> Any:
    return db.execute(
        select(athena_queries).where(
            athena_queries.c.account_id == account_id, athena_queries.c.client_request_token == token
        )
    ).first()


def listing(db: Connection, account_id: str, region: str, work_group: str) -> list[str]:
    statement = (
        select(athena_queries.c.query_id)
        .where(
            athena_queries.c.account_id == account_id,
            athena_queries.c.region == region,
            athena_queries.c.work_group == work_group,
        )
        .order_by(athena_queries.c.submitted_at.desc(), athena_queries.c.id.desc())
    )
    return list(db.execute(statement).scalars())


def unfinished(db: Connection) -> list[str]:
    statement = select(athena_queries.c.query_id).where(athena_queries.c.state.in_(("QUEUED", "RUNNING")))
    return list(db.execute(statement).scalars())


def transition(db: Connection, query_id: str, expected: tuple[str, ...], values: Mapping[str, Any]) -> bool:
    result = db.execute(
        update(athena_queries)
        .where(athena_queries.c.query_id == query_id, athena_queries.c.state.in_(expected))
        .values(**values)
    )
    return result.rowcount == 1
