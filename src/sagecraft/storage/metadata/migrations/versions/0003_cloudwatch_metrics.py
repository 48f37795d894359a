"""CloudWatch metrics: metric identities, their dimensions, and datapoints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cloudwatch_metrics",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("series_key", sa.String(length=64), nullable=False),
        sa.Column("namespace", name_column(255), nullable=False),
        sa.Column("metric_name", name_column(255), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_put_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudwatch_metrics")),
        sa.UniqueConstraint("account_id", "region", "series_key",
                            name=op.f("uq_cloudwatch_metrics_account_id_region_series_key")),
    )
    op.create_index(op.f("ix_cloudwatch_metrics_account_id_region_namespace_metric_name"), "cloudwatch_metrics",
                    ["account_id", "region", "namespace", "metric_name"])
    op.create_table(
        "cloudwatch_metric_dimensions",
        sa.Column("metric_id", BigId, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(["metric_id"], ["cloudwatch_metrics.id"],
                                name=op.f("fk_cloudwatch_metric_dimensions_metric_id_cloudwatch_metrics"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("metric_id", "name", name=op.f("pk_cloudwatch_metric_dimensions")),
    )
    op.create_index(op.f("ix_cloudwatch_metric_dimensions_name_metric_id"), "cloudwatch_metric_dimensions",
                    ["name", "metric_id"])
    op.create_table(
        "cloudwatch_datapoints",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("metric_id", BigId, nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("sample_count", sa.Float(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("storage_resolution", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["metric_id"], ["cloudwatch_metrics.id"],
                                name=op.f("fk_cloudwatch_datapoints_metric_id_cloudwatch_metrics"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloudwatch_datapoints")),
    )
    op.create_index(op.f("ix_cloudwatch_datapoints_metric_id_timestamp_ms"), "cloudwatch_datapoints",
                    ["metric_id", "timestamp_ms"])


def downgrade() -> None:
    op.drop_table("cloudwatch_datapoints")
    op.drop_table("cloudwatch_metric_dimensions")
    op.drop_table("cloudwatch_metrics")
