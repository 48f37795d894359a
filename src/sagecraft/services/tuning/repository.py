"""SQL for the tuning_jobs table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy import update as sql_update

from sagecraft.services.tuning.models import ACTIVE, TuningJob
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import tuning_jobs


def insert_job(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(tuning_jobs).values(**values)).inserted_primary_key[0])


def by_arn(db: Connection, arn: str, lock: bool = False) -> TuningJob | None:
    statement = select(tuning_jobs).where(tuning_jobs.c.arn == arn)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    return TuningJob.from_row(row) if row else None


def by_id(db: Connection, job_id: int) -> TuningJob | None:
    row = db.execute(select(tuning_jobs).where(tuning_jobs.c.id == job_id)).first()
    return TuningJob.from_row(row) if row else None


def active_ids(db: Connection, owner: str) -> list[int]:
    statement = (select(tuning_jobs.c.id).where(tuning_jobs.c.status.in_(ACTIVE), tuning_jobs.c.owner == owner)
                 .order_by(tuning_jobs.c.id))
    return list(db.execute(statement).scalars())


def in_region(db: Connection, account_id: str, region: str) -> list[TuningJob]:
    statement = select(tuning_jobs).where(tuning_jobs.c.account_id == account_id, tuning_jobs.c.region == region)
    return [TuningJob.from_row(row) for row in db.execute(statement)]


def update(db: Connection, job_id: int, expected_status: str, values: Mapping[str, Any],
           expected_trials: int | None = None) -> bool:
    """Compare-and-set on the status (and, when given, the number of trials launched so far)."""
    if expected_trials is not None:
        row = db.execute(select(tuning_jobs.c.trials).where(tuning_jobs.c.id == job_id)).first()
        if row is None or len(row.trials or []) != expected_trials:
            return False
    return compare_and_set(db, tuning_jobs, {"id": job_id}, {"status": expected_status}, values)


def set_tags(db: Connection, job_id: int, tags: list[dict[str, str]]) -> None:
    db.execute(sql_update(tuning_jobs).where(tuning_jobs.c.id == job_id).values(tags=tags))
