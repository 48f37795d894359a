"""Tables of SageMaker Experiments and ML lineage."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sagecraft.storage.metadata.schema.base import BigId, UtcDateTime, metadata, name_column

# --- SageMaker Experiments: experiments, trials, trial components, their metrics --------------------

# ARNs are lower-cased, as SageMaker's: names are unique ignoring case. Nested blocks (status,
# parameters, artifacts) are JSON; a trial component made for a job keeps the job's ARN as its source.
experiments = Table(
    "experiments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(120), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("display_name", String(120)),
    Column("description", Text),
    Column("source", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "created_at"),
)

experiment_trials = Table(
    "experiment_trials",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(120), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("experiment_id", BigId, ForeignKey("experiments.id"), nullable=False),
    Column("display_name", String(120)),
    Column("source", JSON),
    Column("metadata_properties", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "experiment_id"),
    Index(None, "account_id", "region", "created_at"),
)

experiment_trial_components = Table(
    "experiment_trial_components",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(120), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("display_name", String(120)),
    Column("status", JSON),
    Column("start_time", UtcDateTime),
    Column("end_time", UtcDateTime),
    Column("parameters", JSON),
    Column("input_artifacts", JSON),
    Column("output_artifacts", JSON),
    Column("metadata_properties", JSON),
    Column("source_arn", String(256)),  # the job it stands for, lower-cased
    Column("source_type", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "source_arn"),
    Index(None, "account_id", "region", "created_at"),
)

experiment_trial_component_links = Table(
    "experiment_trial_component_links",
    metadata,
    Column("trial_id", BigId, ForeignKey("experiment_trials.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", BigId, ForeignKey("experiment_trial_components.id", ondelete="CASCADE"),
           primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "component_id"),
)

# Every value BatchPutMetrics accepted, and per (component, metric) the running summary Search and
# DescribeTrialComponent report (sums kept so Avg and StdDev need no scan).
experiment_metric_points = Table(
    "experiment_metric_points",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("component_id", BigId, ForeignKey("experiment_trial_components.id", ondelete="CASCADE"),
           nullable=False),
    Column("metric_name", String(255), nullable=False),
    Column("step", Integer),
    Column("timestamp", Float, nullable=False),  # epoch seconds
    Column("value", Float, nullable=False),
    Index(None, "component_id", "metric_name", "timestamp"),
)

experiment_metric_summaries = Table(
    "experiment_metric_summaries",
    metadata,
    Column("component_id", BigId, ForeignKey("experiment_trial_components.id", ondelete="CASCADE"),
           primary_key=True),
    Column("metric_name", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("total", Float, nullable=False),
    Column("total_squares", Float, nullable=False),
    Column("minimum", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    Column("last", Float, nullable=False),
    Column("last_timestamp", Float, nullable=False),
)


# --- SageMaker ML lineage: artifacts, actions, contexts, associations ------------------------------

lineage_entities = Table(
    "lineage_entities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # artifact | action | context
    Column("name", name_column(120)),
    Column("arn", String(256), nullable=False),
    Column("entity_type", String(256)),  # ArtifactType / ActionType / ContextType
    Column("source", JSON),
    Column("source_uri", String(2048)),
    Column("status", String(16)),
    Column("description", Text),
    Column("properties", JSON),
    Column("metadata_properties", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "kind", "created_at"),
)

lineage_associations = Table(
    "lineage_associations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("source_arn", String(256), nullable=False),
    Column("destination_arn", String(256), nullable=False),
    Column("source_type", String(64)),
    Column("destination_type", String(64)),
    Column("source_name", String(256)),
    Column("destination_name", String(256)),
    Column("association_type", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("source_arn", "destination_arn"),
    Index(None, "destination_arn"),
)
