"""SageMaker Experiments (experiments, trials, trial components, metrics) and ML lineage

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements rowid aliases only
Stamp = sa.DateTime(timezone=True)


def name_column(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _region_columns() -> list[sa.Column]:
    return [
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
    ]


def _component_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["component_id"],
        ["experiment_trial_components.id"],
        ondelete="CASCADE",
        name=op.f(f"fk_{table}_component_id_experiment_trial_components"),
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        *_region_columns(),
        sa.Column("name", name_column(120), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("last_modified", Stamp, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("arn", name=op.f("uq_experiments_arn")),
    )
    op.create_index(
        op.f("ix_experiments_account_id_region_created_at"), "experiments", ["account_id", "region", "created_at"]
    )
    op.create_table(
        "experiment_trials",
        *_region_columns(),
        sa.Column("name", name_column(120), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("experiment_id", BigId, nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("metadata_properties", sa.JSON(), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("last_modified", Stamp, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.id"], name=op.f("fk_experiment_trials_experiment_id_experiments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_trials")),
        sa.UniqueConstraint("arn", name=op.f("uq_experiment_trials_arn")),
    )
    op.create_index(op.f("ix_experiment_trials_experiment_id"), "experiment_trials", ["experiment_id"])
    op.create_index(
        op.f("ix_experiment_trials_account_id_region_created_at"),
        "experiment_trials",
        ["account_id", "region", "created_at"],
    )
    op.create_table(
        "experiment_trial_components",
        *_region_columns(),
        sa.Column("name", name_column(120), nullable=False),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("status", sa.JSON(), nullable=True),
        sa.Column("start_time", Stamp, nullable=True),
        sa.Column("end_time", Stamp, nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("input_artifacts", sa.JSON(), nullable=True),
        sa.Column("output_artifacts", sa.JSON(), nullable=True),
        sa.Column("metadata_properties", sa.JSON(), nullable=True),
        sa.Column("source_arn", sa.String(length=256), nullable=True),
        sa.Column("source_type", sa.String(length=64), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("last_modified", Stamp, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_trial_components")),
        sa.UniqueConstraint("arn", name=op.f("uq_experiment_trial_components_arn")),
    )
    op.create_index(op.f("ix_experiment_trial_components_source_arn"), "experiment_trial_components", ["source_arn"])
    op.create_index(
        op.f("ix_experiment_trial_components_account_id_region_created_at"),
        "experiment_trial_components",
        ["account_id", "region", "created_at"],
    )
    op.create_table(
        "experiment_trial_component_links",
        sa.Column("trial_id", BigId, nullable=False),
        sa.Column("component_id", BigId, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["experiment_trials.id"],
            ondelete="CASCADE",
            name=op.f("fk_experiment_trial_component_links_trial_id_experiment_trials"),
        ),
        _component_fk("experiment_trial_component_links"),
        sa.PrimaryKeyConstraint("trial_id", "component_id", name=op.f("pk_experiment_trial_component_links")),
    )
    op.create_index(
        op.f("ix_experiment_trial_component_links_component_id"), "experiment_trial_component_links", ["component_id"]
    )
    op.create_table(
        "experiment_metric_points",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("component_id", BigId, nullable=False),
        sa.Column("metric_name", sa.String(length=255), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        _component_fk("experiment_metric_points"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_metric_points")),
    )
    op.create_index(
        op.f("ix_experiment_metric_points_component_id_metric_name_timestamp"),
        "experiment_metric_points",
        ["component_id", "metric_name", "timestamp"],
    )
    op.create_table(
        "experiment_metric_summaries",
        sa.Column("component_id", BigId, nullable=False),
        sa.Column("metric_name", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_squares", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.Column("last_timestamp", sa.Float(), nullable=False),
        _component_fk("experiment_metric_summaries"),
        sa.PrimaryKeyConstraint("component_id", "metric_name", name=op.f("pk_experiment_metric_summaries")),
    )
    op.create_table(
        "lineage_entities",
        *_region_columns(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", name_column(120), nullable=True),
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("entity_type", sa.String(length=256), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("source_uri", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("metadata_properties", sa.JSON(), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("last_modified", Stamp, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_entities")),
        sa.UniqueConstraint("arn", name=op.f("uq_lineage_entities_arn")),
    )
    op.create_index(
        op.f("ix_lineage_entities_account_id_region_kind_created_at"),
        "lineage_entities",
        ["account_id", "region", "kind", "created_at"],
    )
    op.create_table(
        "lineage_associations",
        *_region_columns(),
        sa.Column("source_arn", sa.String(length=256), nullable=False),
        sa.Column("destination_arn", sa.String(length=256), nullable=False),
        sa.Column("source_type", sa.String(length=64), nullable=True),
        sa.Column("destination_type", sa.String(length=64), nullable=True),
        sa.Column("source_name", sa.String(length=256), nullable=True),
        sa.Column("destination_name", sa.String(length=256), nullable=True),
        sa.Column("association_type", sa.String(length=32), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_associations")),
        sa.UniqueConstraint(
            "source_arn", "destination_arn", name=op.f("uq_lineage_associations_source_arn_destination_arn")
        ),
    )
    op.create_index(op.f("ix_lineage_associations_destination_arn"), "lineage_associations", ["destination_arn"])


def downgrade() -> None:
    for table in (
        "lineage_associations",
        "lineage_entities",
        "experiment_metric_summaries",
        "experiment_metric_points",
        "experiment_trial_component_links",
        "experiment_trial_components",
        "experiment_trials",
        "experiments",
    ):
        op.drop_table(table)  # their indexes go with them
