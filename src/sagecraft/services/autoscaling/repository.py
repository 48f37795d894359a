"""SQL for the scalable_targets, scaling_policies and scaling_activities tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagecraft.services.autoscaling.models import Activity, Key, ScalableTarget, ScalingPolicy
from sagecraft.storage.metadata.schema import scalable_targets as targets
from sagecraft.storage.metadata.schema import scaling_activities as activities
from sagecraft.storage.metadata.schema import scaling_policies as policies


def _where(table, key: Key) -> list:
    return [table.c[name] == value for name, value in key.columns().items()]


def _scoped(table, account_id: str, region: str, namespace: str, resource_id: str | None,
            dimension: str | None) -> list:
    conditions = [table.c.account_id == account_id, table.c.region == region, table.c.service_namespace == namespace]
    if resource_id is not None:
        conditions.append(table.c.resource_id == resource_id)
    if dimension is not None:
        conditions.append(table.c.scalable_dimension == dimension)
    return conditions


def target(db: Connection, key: Key) -> ScalableTarget | None:
    row = db.execute(select(targets).where(*_where(targets, key))).first()
    return ScalableTarget.from_row(row) if row else None


def insert_target(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(targets).values(**values))


def update_target(db: Connection, target_id: int, values: Mapping[str, Any]) -> None:
    db.execute(update(targets).where(targets.c.id == target_id).values(**values))


def delete_target(db: Connection, key: Key) -> None:
    db.execute(delete(policies).where(*_where(policies, key)))
    db.execute(delete(targets).where(*_where(targets, key)))


def targets_in(db: Connection, account_id: str, region: str, namespace: str,
               dimension: str | None = None) -> list[ScalableTarget]:
    statement = select(targets).where(*_scoped(targets, account_id, region, namespace, None, dimension))
    return [ScalableTarget.from_row(row) for row in db.execute(statement.order_by(targets.c.id))]


def all_targets(db: Connection) -> list[ScalableTarget]:
    return [ScalableTarget.from_row(row) for row in db.execute(select(targets).order_by(targets.c.id))]


def policy(db: Connection, key: Key, name: str) -> ScalingPolicy | None:
    row = db.execute(select(policies).where(*_where(policies, key), policies.c.name == name)).first()
    return ScalingPolicy.from_row(row) if row else None


def policies_of(db: Connection, key: Key) -> list[ScalingPolicy]:
    statement = select(policies).where(*_where(policies, key)).order_by(policies.c.id)
    return [ScalingPolicy.from_row(row) for row in db.execute(statement)]


def policies_in(db: Connection, account_id: str, region: str, namespace: str, resource_id: str | None,
                dimension: str | None) -> list[ScalingPolicy]:
    statement = select(policies).where(*_scoped(policies, account_id, region, namespace, resource_id, dimension))
    return [ScalingPolicy.from_row(row) for row in db.execute(statement.order_by(policies.c.id))]


def insert_policy(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(policies).values(**values))


def update_policy(db: Connection, policy_id: int, values: Mapping[str, Any]) -> None:
    db.execute(update(policies).where(policies.c.id == policy_id).values(**values))


def delete_policy(db: Connection, policy_id: int) -> None:
    db.execute(delete(policies).where(policies.c.id == policy_id))


def insert_activity(db: Connection, values: Mapping[str, Any]) -> None:
    db.execute(insert(activities).values(**values))


def activities_in(db: Connection, account_id: str, region: str, namespace: str, resource_id: str | None,
                  dimension: str | None) -> list[Activity]:
    statement = select(activities).where(*_scoped(activities, account_id, region, namespace, resource_id, dimension))
    return [Activity.from_row(row) for row in db.execute(statement.order_by(activities.c.id.desc()))]
