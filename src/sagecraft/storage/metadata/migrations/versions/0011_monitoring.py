"""SageMaker Model Monitor: job definitions, monitoring schedules and their executions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _stamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "monitoring_job_definitions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        _stamp("created_at"),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_job_definitions")),
        sa.UniqueConstraint("arn", name=op.f("uq_monitoring_job_definitions_arn")),
    )
    op.create_index(op.f("ix_monitoring_job_definitions_account_id_region_created_at"),
                    "monitoring_job_definitions", ["account_id", "region", "created_at"])
    op.create_table(
        "monitoring_schedules",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("job_definition_name", sa.String(length=63), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        _stamp("created_at"),
        _stamp("last_modified"),
        _stamp("next_run_at", nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_schedules")),
        sa.UniqueConstraint("arn", name=op.f("uq_monitoring_schedules_arn")),
    )
    op.create_index(op.f("ix_monitoring_schedules_status"), "monitoring_schedules", ["status"])
    op.create_index(op.f("ix_monitoring_schedules_account_id_region_created_at"), "monitoring_schedules",
                    ["account_id", "region", "created_at"])
    op.create_table(
        "monitoring_executions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("schedule_id", BigId, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("schedule_name", sa.String(length=63), nullable=False),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("job_definition_name", sa.String(length=63), nullable=True),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        _stamp("scheduled_at"),
        _stamp("created_at"),
        _stamp("last_modified"),
        sa.Column("processing_job_name", sa.String(length=63), nullable=True),
        sa.Column("processing_job_arn", sa.String(length=256), nullable=True),
        sa.Column("output_uri", sa.String(length=1024), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["schedule_id"], ["monitoring_schedules.id"],
                                name=op.f("fk_monitoring_executions_schedule_id_monitoring_schedules"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_executions")),
    )
    op.create_index(op.f("ix_monitoring_executions_schedule_id_scheduled_at"), "monitoring_executions",
                    ["schedule_id", "scheduled_at"])
    op.create_index(op.f("ix_monitoring_executions_status"), "monitoring_executions", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_monitoring_executions_status"), table_name="monitoring_executions")
    op.drop_index(op.f("ix_monitoring_executions_schedule_id_scheduled_at"), table_name="monitoring_executions")
    op.drop_table("monitoring_executions")
    op.drop_index(op.f("ix_monitoring_schedules_account_id_region_created_at"), table_name="monitoring_schedules")
    op.drop_index(op.f("ix_monitoring_schedules_status"), table_name="monitoring_schedules")
    op.drop_table("monitoring_schedules")
    op.drop_index(op.f("ix_monitoring_job_definitions_account_id_region_created_at"),
                  table_name="monitoring_job_definitions")
    op.drop_table("monitoring_job_definitions")
