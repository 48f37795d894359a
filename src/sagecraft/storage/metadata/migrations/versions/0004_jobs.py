"""SageMaker training and processing jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("secondary_status", sa.String(length=32), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("exit_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("billable_seconds", sa.Integer(), nullable=True),
        sa.Column("model_artifacts", sa.String(length=1024), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("transitions", sa.JSON(), nullable=True),
        sa.Column("final_metrics", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("runtime", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("arn", name=op.f("uq_jobs_arn")),
    )
    op.create_index(op.f("ix_jobs_kind_status"), "jobs", ["kind", "status"])
    op.create_index(op.f("ix_jobs_account_id_region_kind_created_at"), "jobs",
                    ["account_id", "region", "kind", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_account_id_region_kind_created_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_kind_status"), table_name="jobs")
    op.drop_table("jobs")
