"""SQL for Model Monitor's tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagecraft.services.monitoring.models import (
    ACTIVE_EXECUTIONS,
    Execution,
    JobDefinition,
    MonitoringSchedule,
    ScheduleStatus,
)
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import monitoring_executions, monitoring_job_definitions, monitoring_schedules

# -- job definitions ---------------------------------------------------------------------------------

def insert_definition(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(monitoring_job_definitions).values(**values)).inserted_primary_key[0])


def definition_by_arn(db: Connection, arn: str) -> JobDefinition | None:
    row = db.execute(select(monitoring_job_definitions).where(monitoring_job_definitions.c.arn == arn)).first()
    return JobDefinition.from_row(row) if row else None


def definitions(db: Connection, account_id: str, region: str, kind: str) -> list[JobDefinition]:
    table = monitoring_job_definitions
    rows = db.execute(select(table).where(table.c.account_id == account_id, table.c.region == region,
                                          table.c.kind == kind))
    return [JobDefinition.from_row(row) for row in rows]


def set_tags(db: Connection, arn: str, tags: list[dict[str, str]]) -> None:
    """Replace the tags of the job definition or schedule with this ARN."""
    for table in (monitoring_job_definitions, monitoring_schedules):
        db.execute(update(table).where(table.c.arn == arn).values(tags=tags))


def delete_definition(db: Connection, definition_id: int) -> None:
    db.execute(delete(monitoring_job_definitions).where(monitoring_job_definitions.c.id == definition_id))


# -- schedules ---------------------------------------------------------------------------------------

def insert_schedule(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(monitoring_schedules).values(**values)).inserted_primary_key[0])


def schedule_by_arn(db: Connection, arn: str) -> MonitoringSchedule | None:
    row = db.execute(select(monitoring_schedules).where(monitoring_schedules.c.arn == arn)).first()
    return MonitoringSchedule.from_row(row) if row else None


def schedule_by_id(db: Connection, schedule_id: int) -> MonitoringSchedule | None:
    row = db.execute(select(monitoring_schedules).where(monitoring_schedules.c.id == schedule_id)).first()
    return MonitoringSchedule.from_row(row) if row else None


def schedules(db: Connection, account_id: str, region: str) -> list[MonitoringSchedule]:
    table = monitoring_schedules
    rows = db.execute(select(table).where(table.c.account_id == account_id, table.c.region == region))
    return [MonitoringSchedule.from_row(row) for row in rows]


def schedules_using(db: Connection, account_id: str, region: str, definition_name: str) -> list[str]:
    table = monitoring_schedules
    rows = db.execute(select(table.c.name).where(table.c.account_id == account_id, table.c.region == region,
                                                 table.c.job_definition_name == definition_name))
    return list(rows.scalars())


def owned_schedules(db: Connection, owner: str) -> list[MonitoringSchedule]:
    table = monitoring_schedules
    rows = db.execute(select(table).where(table.c.owner == owner, table.c.status.in_(
        (ScheduleStatus.PENDING.value, ScheduleStatus.SCHEDULED.value))))
    return [MonitoringSchedule.from_row(row) for row in rows]


def update_schedule(db: Connection, schedule_id: int, values: Mapping[str, Any],
                    expected_status: str | None = None) -> bool:
    if expected_status is None:
        result = db.execute(update(monitoring_schedules).where(monitoring_schedules.c.id == schedule_id)
                            .values(**values))
        return result.rowcount == 1
    return compare_and_set(db, monitoring_schedules, {"id": schedule_id}, {"status": expected_status}, values)


def delete_schedule(db: Connection, schedule_id: int) -> None:
    db.execute(delete(monitoring_executions).where(monitoring_executions.c.schedule_id == schedule_id))
    db.execute(delete(monitoring_schedules).where(monitoring_schedules.c.id == schedule_id))


# -- executions --------------------------------------------------------------------------------------

def insert_execution(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(monitoring_executions).values(**values)).inserted_primary_key[0])


def execution_by_id(db: Connection, execution_id: int) -> Execution | None:
    row = db.execute(select(monitoring_executions).where(monitoring_executions.c.id == execution_id)).first()
    return Execution.from_row(row) if row else None


def executions(db: Connection, account_id: str, region: str) -> list[Execution]:
    table = monitoring_executions
    rows = db.execute(select(table).where(table.c.account_id == account_id, table.c.region == region))
    return [Execution.from_row(row) for row in rows]


def executions_of(db: Connection, schedule_id: int) -> list[Execution]:
    table = monitoring_executions
    rows = db.execute(select(table).where(table.c.schedule_id == schedule_id).order_by(table.c.scheduled_at,
                                                                                       table.c.id))
    return [Execution.from_row(row) for row in rows]


def active_executions(db: Connection) -> list[Execution]:
    table = monitoring_executions
    rows = db.execute(select(table).where(table.c.status.in_(ACTIVE_EXECUTIONS)).order_by(table.c.id))
    return [Execution.from_row(row) for row in rows]


def update_execution(db: Connection, execution_id: int, expected_status: str, values: Mapping[str, Any]) -> bool:
    return compare_and_set(db, monitoring_executions, {"id": execution_id}, {"status": expected_status}, values)
