"""CloudWatch Logs: log groups, streams and events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "log_groups",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", name_column(512), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("kms_key_id", sa.String(length=256), nullable=True),
        sa.Column("group_class", sa.String(length=32), nullable=False),
        sa.Column("deletion_protection", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_groups")),
        sa.UniqueConstraint("account_id", "region", "name", name=op.f("uq_log_groups_account_id_region_name")),
    )
    op.create_table(
        "log_streams",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("name", name_column(512), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ingestion_ms", sa.BigInteger(), nullable=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("upload_sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["log_groups.id"], name=op.f("fk_log_streams_group_id_log_groups"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_streams")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_log_streams_group_id_name")),
    )
    op.create_index(op.f("ix_log_streams_group_id_last_event_ms"), "log_streams", ["group_id", "last_event_ms"])
    op.create_table(
        "log_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("stream_id", BigId, nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_ms", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["log_groups.id"], name=op.f("fk_log_events_group_id_log_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["stream_id"], ["log_streams.id"], name=op.f("fk_log_events_stream_id_log_streams"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_events")),
    )
    op.create_index(op.f("ix_log_events_group_id_timestamp_ms_id"), "log_events", ["group_id", "timestamp_ms", "id"])
    op.create_index(op.f("ix_log_events_stream_id_timestamp_ms_id"), "log_events", ["stream_id", "timestamp_ms", "id"])


def downgrade() -> None:
    op.drop_table("log_events")
    op.drop_table("log_streams")
    op.drop_table("log_groups")
