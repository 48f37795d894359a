"""SageMaker batch transform jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "transform_jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(63), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("runtime", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transform_jobs")),
        sa.UniqueConstraint("arn", name=op.f("uq_transform_jobs_arn")),
    )
    op.create_index(op.f("ix_transform_jobs_status"), "transform_jobs", ["status"])
    op.create_index(
        op.f("ix_transform_jobs_account_id_region_created_at"), "transform_jobs", ["account_id", "region", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transform_jobs_account_id_region_created_at"), table_name="transform_jobs")
    op.drop_index(op.f("ix_transform_jobs_status"), table_name="transform_jobs")
    op.drop_table("transform_jobs")
