"""SageMaker hyperparameter tuning jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tuning_jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(32), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("trials", sa.JSON(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tuning_jobs")),
        sa.UniqueConstraint("arn", name=op.f("uq_tuning_jobs_arn")),
    )
    op.create_index(op.f("ix_tuning_jobs_status"), "tuning_jobs", ["status"])
    op.create_index(op.f("ix_tuning_jobs_account_id_region_created_at"), "tuning_jobs",
                    ["account_id", "region", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tuning_jobs_account_id_region_created_at"), table_name="tuning_jobs")
    op.drop_index(op.f("ix_tuning_jobs_status"), table_name="tuning_jobs")
    op.drop_table("tuning_jobs")
