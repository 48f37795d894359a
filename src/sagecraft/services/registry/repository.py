"""SQL for the model_package_groups and model_packages tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from sagecraft.services.registry.models import ModelPackage, PackageGroup
from sagecraft.storage.metadata import compare_and_set
from sagecraft.storage.metadata.schema import model_package_groups as groups
from sagecraft.storage.metadata.schema import model_packages as packages


def insert_group(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(groups).values(**values)).inserted_primary_key[0])


def group_by_arn(db: Connection, arn: str, lock: bool = False) -> PackageGroup | None:
    statement = select(groups).where(groups.c.arn == arn)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    return PackageGroup.from_row(row) if row else None


def groups_in(db: Connection, account_id: str, region: str) -> list[PackageGroup]:
    statement = select(groups).where(groups.c.account_id == account_id, groups.c.region == region)
    return [PackageGroup.from_row(row) for row in db.execute(statement.order_by(groups.c.id))]


def update_group(db: Connection, group_id: int, values: Mapping[str, Any]) -> None:
    db.execute(update(groups).where(groups.c.id == group_id).values(**values))


def delete_group(db: Connection, group_id: int) -> None:
    db.execute(delete(groups).where(groups.c.id == group_id))


def insert_package(db: Connection, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(packages).values(**values)).inserted_primary_key[0])


def package_by_arn(db: Connection, arn: str, lock: bool = False) -> ModelPackage | None:
    statement = select(packages).where(packages.c.arn == arn)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    return ModelPackage.from_row(row) if row else None


def package_by_id(db: Connection, package_id: int) -> ModelPackage | None:
    row = db.execute(select(packages).where(packages.c.id == package_id)).first()
    return ModelPackage.from_row(row) if row else None


def unversioned_named(db: Connection, name: str) -> list[ModelPackage]:
    statement = select(packages).where(packages.c.name == name, packages.c.version.is_(None))
    return [ModelPackage.from_row(row) for row in db.execute(statement)]


def packages_in(db: Connection, account_id: str, region: str, group_name: str | None = None) -> list[ModelPackage]:
    statement = select(packages).where(packages.c.account_id == account_id, packages.c.region == region)
    if group_name is not None:
        statement = statement.where(func.lower(packages.c.group_name) == group_name.lower())
    return [ModelPackage.from_row(row) for row in db.execute(statement.order_by(packages.c.id))]


def count_in_group(db: Connection, account_id: str, region: str, group_name: str) -> int:
    statement = select(func.count()).select_from(packages).where(
        packages.c.account_id == account_id, packages.c.region == region,
        func.lower(packages.c.group_name) == group_name.lower())
    return int(db.execute(statement).scalar_one())


def claim_version(db: Connection, group: PackageGroup) -> int | None:
    """The group's next version number, or None when another writer claimed it first."""
    claimed = compare_and_set(db, groups, {"id": group.id}, {"last_version": group.last_version},
                              {"last_version": group.last_version + 1})
    return group.last_version + 1 if claimed else None


def update_package(db: Connection, package_id: int, values: Mapping[str, Any]) -> None:
    db.execute(update(packages).where(packages.c.id == package_id).values(**values))


def delete_package(db: Connection, package_id: int) -> None:
    db.execute(delete(packages).where(packages.c.id == package_id))
