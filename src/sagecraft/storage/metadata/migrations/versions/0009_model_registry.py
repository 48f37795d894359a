"""model registry (model package groups and packages) and Application Auto Scaling

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only
SCALING_KEY = ["account_id", "region", "service_namespace", "resource_id", "scalable_dimension"]


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _scope() -> list[sa.Column]:
    return [sa.Column("id", BigId, autoincrement=True, nullable=False),
            sa.Column("account_id", sa.String(length=12), nullable=False),
            sa.Column("region", sa.String(length=32), nullable=False)]


def _scaling_key() -> list[sa.Column]:
    return [sa.Column("service_namespace", sa.String(length=32), nullable=False),
            sa.Column("resource_id", sa.String(length=1600), nullable=False),
            sa.Column("scalable_dimension", sa.String(length=128), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "model_package_groups",
        *_scope(),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_package_groups")),
        sa.UniqueConstraint("arn", name=op.f("uq_model_package_groups_arn")),
    )
    op.create_index(op.f("ix_model_package_groups_account_id_region_created_at"), "model_package_groups",
                    ["account_id", "region", "created_at"])
    op.create_table(
        "model_packages",
        *_scope(),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("group_name", name_column(63), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approval_status", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_packages")),
        sa.UniqueConstraint("arn", name=op.f("uq_model_packages_arn")),
    )
    op.create_index(op.f("ix_model_packages_account_id_region_group_name"), "model_packages",
                    ["account_id", "region", "group_name"])
    op.create_table(
        "scalable_targets",
        *_scope(),
        *_scaling_key(),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("min_capacity", sa.Integer(), nullable=False),
        sa.Column("max_capacity", sa.Integer(), nullable=False),
        sa.Column("role_arn", sa.String(length=1600), nullable=True),
        sa.Column("suspended_state", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scalable_targets")),
        sa.UniqueConstraint(*SCALING_KEY, name="uq_scalable_targets_key"),
    )
    op.create_table(
        "scaling_policies",
        *_scope(),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("arn", sa.String(length=1600), nullable=False),
        *_scaling_key(),
        sa.Column("policy_type", sa.String(length=32), nullable=False),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scaling_policies")),
        sa.UniqueConstraint(*SCALING_KEY, "name", name="uq_scaling_policies_key"),
    )
    op.create_table(
        "scaling_activities",
        *_scope(),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        *_scaling_key(),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("status_code", sa.String(length=32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scaling_activities")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_scaling_activities_activity_id")),
    )
    op.create_index("ix_scaling_activities_resource",
                    "scaling_activities", ["account_id", "region", "service_namespace", "resource_id"])


def downgrade() -> None:
    op.drop_index("ix_scaling_activities_resource",
                  table_name="scaling_activities")
    op.drop_table("scaling_activities")
    op.drop_table("scaling_policies")
    op.drop_table("scalable_targets")
    op.drop_index(op.f("ix_model_packages_account_id_region_group_name"), table_name="model_packages")
    op.drop_table("model_packages")
    op.drop_index(op.f("ix_model_package_groups_account_id_region_created_at"), table_name="model_package_groups")
    op.drop_table("model_package_groups")
