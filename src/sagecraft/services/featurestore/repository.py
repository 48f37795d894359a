"""SQL for the feature_groups table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagecraft.services.featurestore.models import FeatureGroup
from sagecraft.storage.metadata.schema import feature_groups


def insert_group(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(feature_groups).values(**values)).inserted_primary_key[0])


def by_arn(db: Connection, arn: str) -> FeatureGroup | None:
    row = db.execute(select(feature_groups).where(feature_groups.c.arn == arn)).first()
    return FeatureGroup.from_row(row) if row else None


def by_id(db: Connection, group_id: int) -> FeatureGroup | None:
    row = db.execute(select(feature_groups).where(feature_groups.c.id == group_id)).first()
    return FeatureGroup.from_row(row) if row else None


def in_region(db: Connection, account_id: str, region: str) -> list[FeatureGroup]:
    statement = select(feature_groups).where(
        feature_groups.c.account_id == account_id, feature_groups.c.region == region
    )
    return [FeatureGroup.from_row(row) for row in db.execute(statement)]


def with_status(db: Connection, statuses: tuple[str, ...]) -> list[FeatureGroup]:
    statement = select(feature_groups).where(feature_groups.c.status.in_(statuses))
    return [FeatureGroup.from_row(row) for row in db.execute(statement)]


def update_group(db: Connection, group_id: int, values: Mapping[str, Any]) -> None:
    db.execute(update(feature_groups).where(feature_groups.c.id == group_id).values(**values))


def delete_group(db: Connection, group_id: int) -> None:
    db.execute(delete(feature_groups).where(feature_groups.c.id == group_id))
