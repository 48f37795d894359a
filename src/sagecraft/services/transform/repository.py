"""SQL for the transform_jobs table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select

from sagecraft.services.transform.models import ACTIVE, TransformJob
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import transform_jobs


def insert_job(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(transform_jobs).values(**values)).inserted_primary_key[0])


def by_arn(db: Connection, arn: str) -> TransformJob | None:
    row = db.execute(select(transform_jobs).where(transform_jobs.c.arn == arn)).first()
    return TransformJob.from_row(row) if row else None


def by_id(db: Connection, job_id: int) -> TransformJob | None:
    row = db.execute(select(transform_jobs).where(transform_jobs.c.id == job_id)).first()
    return TransformJob.from_row(row) if row else None


def active_ids(db: Connection, owner: str) -> list[int]:
    statement = (
        select(transform_jobs.c.id)
        .where(transform_jobs.c.status.in_(ACTIVE), transform_jobs.c.owner == owner)
        .order_by(transform_jobs.c.id)
    )
    return list(db.execute(statement).scalars())


def in_region(db: Connection, account_id: str, region: str, name_contains: str = "") -> list[TransformJob]:
    statement = select(transform_jobs).where(
        transform_jobs.c.account_id == account_id, transform_jobs.c.region == region
    )
    if name_contains:
        statement = statement.where(func.lower(transform_jobs.c.name).contains(name_contains.lower(), autoescape=True))
    return [TransformJob.from_row(row) for row in db.execute(statement)]


def update(db: Connection, job_id: int, expected_status: str, values: Mapping[str, Any]) -> bool:
    """Compare-and-set on the status: the atomic step of the state machine."""
    return compare_and_set(db, transform_jobs, {"id": job_id}, {"status": expected_status}, values)


def merge_runtime(db: Connection, job_id: int, updates: Mapping[str, Any]) -> dict[str, Any]:
    row = db.execute(select(transform_jobs.c.runtime).where(transform_jobs.c.id == job_id)).first()
    runtime = {**(dict(row.runtime or {}) if row else {}), **updates}
    compare_and_set(db, transform_jobs, {"id": job_id}, {}, {"runtime": runtime})
    return runtime
