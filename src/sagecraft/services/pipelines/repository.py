"""SQL for the pipelines, pipeline_executions and pipeline_steps tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sagecraft.services.pipelines.models import ACTIVE, Execution, Pipeline, StepRun
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import pipeline_executions, pipeline_steps, pipelines


def insert_pipeline(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(pipelines).values(**values))


def pipeline_by_arn(db: Connection, arn: str) -> Pipeline | None:
    row = db.execute(select(pipelines).where(pipelines.c.arn == arn)).first()
    return Pipeline.from_row(row) if row else None


def update_pipeline(db: Connection, arn: str, values: Mapping[str, Any]) -> None:
    compare_and_set(db, pipelines, {"arn": arn}, {}, values)


def delete_pipeline(db: Connection, arn: str) -> None:
    db.execute(delete(pipelines).where(pipelines.c.arn == arn))


def pipelines_in_region(db: Connection, account_id: str, region: str) -> list[Pipeline]:
    statement = select(pipelines).where(pipelines.c.account_id == account_id, pipelines.c.region == region)
    return [Pipeline.from_row(row) for row in db.execute(statement)]


def insert_execution(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(pipeline_executions).values(**values))


def execution_by_arn(db: Connection, arn: str) -> Execution | None:
    row = db.execute(select(pipeline_executions).where(pipeline_executions.c.arn == arn)).first()
    return Execution.from_row(row) if row else None


def executions_of(db: Connection, pipeline_arn: str) -> list[Execution]:
    statement = select(pipeline_executions).where(pipeline_executions.c.pipeline_arn == pipeline_arn)
    return [Execution.from_row(row) for row in db.execute(statement)]


def active_executions(db: Connection, owner: str) -> list[str]:
    statement = (
        select(pipeline_executions.c.arn)
        .where(pipeline_executions.c.status.in_(ACTIVE), pipeline_executions.c.owner == owner)
        .order_by(pipeline_executions.c.id)
    )
    return list(db.execute(statement).scalars())


def update_execution(db: Connection, arn: str, expected_status: str | None, values: Mapping[str, Any]) -> bool:
    expected = {"status": expected_status} if expected_status else {}
    return compare_and_set(db, pipeline_executions, {"arn": arn}, expected, values)


def delete_executions(db: Connection, pipeline_arn: str) -> None:
    arns = select(pipeline_executions.c.arn).where(pipeline_executions.c.pipeline_arn == pipeline_arn)
    db.execute(delete(pipeline_steps).where(pipeline_steps.c.execution_arn.in_(arns)))
    db.execute(delete(pipeline_executions).where(pipeline_executions.c.pipeline_arn == pipeline_arn))


def steps_of(db: Connection, execution_arn: str) -> list[StepRun]:
    statement = (
        select(pipeline_steps).where(pipeline_steps.c.execution_arn == execution_arn).order_by(pipeline_steps.c.id)
    )
    return [StepRun.from_row(row) for row in db.execute(statement)]


def step_named(db: Connection, execution_arn: str, name: str) -> StepRun | None:
    statement = select(pipeline_steps).where(
        pipeline_steps.c.execution_arn == execution_arn, pipeline_steps.c.name == name
    )
    row = db.execute(statement).first()
    return StepRun.from_row(row) if row else None


def insert_step(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(pipeline_steps).values(**values))


def update_step(db: Connection, step_id: int, expected_status: str, values: Mapping[str, Any]) -> bool:
    return compare_and_set(db, pipeline_steps, {"id": step_id}, {"status": expected_status}, values)


def delete_steps(db: Connection, step_ids: list[int]) -> None:
    db.execute(delete(pipeline_steps).where(pipeline_steps.c.id.in_(step_ids)))


def step_by_token(db: Connection, token: str) -> StepRun | None:
    row = db.execute(select(pipeline_steps).where(pipeline_steps.c.callback_token == token)).first()
    return StepRun.from_row(row) if row else None


def cached_step(db: Connection, pipeline_arn: str, cache_key: str, since: dt.datetime) -> StepRun | None:
    """The latest step of this pipeline that succeeded with the same arguments since ``since``."""
    statement = (
        select(pipeline_steps)
        .where(
            pipeline_steps.c.pipeline_arn == pipeline_arn,
            pipeline_steps.c.cache_key == cache_key,
            pipeline_steps.c.status == "Succeeded",
            pipeline_steps.c.ended_at >= since,
        )
        .order_by(pipeline_steps.c.id.desc())
        .limit(1)
    )
    row = db.execute(statement).first()
    return StepRun.from_row(row) if row else None
