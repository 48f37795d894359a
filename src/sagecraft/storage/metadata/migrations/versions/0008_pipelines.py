"""SageMaker Pipelines: pipelines, executions, execution steps

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(256), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("parallelism", sa.JSON(), nullable=True),
        _time("created_at", False),
        _time("last_modified", False),
        _time("last_run_at"),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint("arn", name=op.f("uq_pipelines_arn")),
    )
    op.create_index(
        op.f("ix_pipelines_account_id_region_created_at"), "pipelines", ["account_id", "region", "created_at"]
    )
    op.create_table(
        "pipeline_executions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("pipeline_arn", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("execution_id", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("parallelism", sa.JSON(), nullable=True),
        _time("created_at", False),
        _time("last_modified", False),
        _time("ended_at"),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_executions")),
        sa.UniqueConstraint("arn", name=op.f("uq_pipeline_executions_arn")),
    )
    op.create_index(op.f("ix_pipeline_executions_status"), "pipeline_executions", ["status"])
    op.create_index(
        op.f("ix_pipeline_executions_pipeline_arn_created_at"), "pipeline_executions", ["pipeline_arn", "created_at"]
    )
    op.create_table(
        "pipeline_steps",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("execution_arn", sa.String(length=1024), nullable=False),
        sa.Column("pipeline_arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("step_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        _time("started_at", False),
        _time("ended_at"),
        _time("retry_at"),
        sa.Column("job", sa.JSON(), nullable=True),
        sa.Column("step_metadata", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("cache_key", sa.String(length=64), nullable=True),
        sa.Column("cache_source", sa.String(length=1024), nullable=True),
        sa.Column("callback_token", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_steps")),
        sa.UniqueConstraint("execution_arn", "name", name=op.f("uq_pipeline_steps_execution_arn_name")),
    )
    op.create_index(op.f("ix_pipeline_steps_pipeline_arn_cache_key"), "pipeline_steps", ["pipeline_arn", "cache_key"])
    op.create_index(op.f("ix_pipeline_steps_callback_token"), "pipeline_steps", ["callback_token"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pipeline_steps_callback_token"), table_name="pipeline_steps")
    op.drop_index(op.f("ix_pipeline_steps_pipeline_arn_cache_key"), table_name="pipeline_steps")
    op.drop_table("pipeline_steps")
    op.drop_index(op.f("ix_pipeline_executions_pipeline_arn_created_at"), table_name="pipeline_executions")
    op.drop_index(op.f("ix_pipeline_executions_status"), table_name="pipeline_executions")
    op.drop_table("pipeline_executions")
    op.drop_index(op.f("ix_pipelines_account_id_region_created_at"), table_name="pipelines")
    op.drop_table("pipelines")
