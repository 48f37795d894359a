"""Feature Store: feature groups, the Glue Data Catalog, Athena query executions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _stamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feature_groups",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(64), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offline_status", sa.String(length=16), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.Column("created_epoch", sa.BigInteger(), nullable=False),
        sa.Column("last_modified", _stamp(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("feature_definitions", sa.JSON(), nullable=False),
        sa.Column("feature_metadata", sa.JSON(), nullable=True),
        sa.Column("last_update_status", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_groups")),
        sa.UniqueConstraint("arn", name=op.f("uq_feature_groups_arn")),
    )
    op.create_index(
        op.f("ix_feature_groups_account_id_region_created_at"), "feature_groups", ["account_id", "region", "created_at"]
    )
    op.create_table(
        "glue_databases",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glue_databases")),
        sa.UniqueConstraint("account_id", "region", "name", name=op.f("uq_glue_databases_account_id_region_name")),
    )
    op.create_table(
        "glue_tables",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("database", name_column(255), nullable=False),
        sa.Column("name", name_column(255), nullable=False),
        sa.Column("table_input", sa.JSON(), nullable=False),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.Column("updated_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glue_tables")),
        sa.UniqueConstraint(
            "account_id", "region", "database", "name", name=op.f("uq_glue_tables_account_id_region_database_name")
        ),
    )
    op.create_table(
        "athena_queries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("work_group", sa.String(length=128), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("statement_type", sa.String(length=16), nullable=False),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("output_location", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_change_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", _stamp(), nullable=False),
        sa.Column("completed_at", _stamp(), nullable=True),
        sa.Column("statistics", sa.JSON(), nullable=True),
        sa.Column("client_request_token", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_athena_queries")),
        sa.UniqueConstraint("query_id", name=op.f("uq_athena_queries_query_id")),
    )
    op.create_index(
        op.f("ix_athena_queries_account_id_region_submitted_at"),
        "athena_queries",
        ["account_id", "region", "submitted_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_athena_queries_account_id_region_submitted_at"), table_name="athena_queries")
    op.drop_table("athena_queries")
    op.drop_table("glue_tables")
    op.drop_table("glue_databases")
    op.drop_index(op.f("ix_feature_groups_account_id_region_created_at"), table_name="feature_groups")
    op.drop_table("feature_groups")
