"""Tables of SageMaker's models in service: hosting, the model registry and autoscaling, Model Monitor."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sagecraft.storage.metadata.schema.base import BigId, UtcDateTime, metadata, name_column

# --- SageMaker hosting: models, endpoint configs, endpoints ----------------------------------------

# One table for the three kinds (as `jobs`): models and endpoint configs are immutable records (the
# create request as sent, without Tags); endpoints carry a status advanced by the hosting reconciler.
hosting_resources = Table(
    "hosting_resources",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # model | endpoint-config | endpoint
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),  # lower-cased: names are unique ignoring case
    Column("status", String(32)),
    Column("failure_reason", Text),
    Column("config_name", String(63)),  # endpoints: the endpoint config they run
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("request", JSON, nullable=False),
    Column("tags", JSON),
    Column("runtime", JSON),  # endpoints: the deployed variants (copied at create/update)
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "kind", "created_at"),
)

# --- SageMaker model registry (model package groups, packages) and Application Auto Scaling --------

# A group's resource policy is kept as sent (PutModelPackageGroupPolicy). A package's create request
# is kept as sent (without Tags); `details` holds what UpdateModelPackage changes (approval
# description, customer metadata, who modified it). Versioned packages carry their group and number.
model_package_groups = Table(
    "model_package_groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),  # lower-cased, as SageMaker's
    Column("description", Text),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", JSON),
    Column("tags", JSON),
    Column("policy", Text),
    Column("last_version", Integer, nullable=False),  # versions are never reused, even after a delete
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "created_at"),
)

model_packages = Table(
    "model_packages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(63), nullable=False),  # the group's name for a versioned package
    Column("group_name", name_column(63)),
    Column("version", Integer),
    Column("arn", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("approval_status", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("request", JSON, nullable=False),
    Column("details", JSON),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "group_name"),
)

# Application Auto Scaling: scalable targets (one per resource and dimension), their policies, and
# the activities the controller recorded when it changed a capacity.
scalable_targets = Table(
    "scalable_targets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("service_namespace", String(32), nullable=False),
    Column("resource_id", String(1600), nullable=False),
    Column("scalable_dimension", String(128), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("min_capacity", Integer, nullable=False),
    Column("max_capacity", Integer, nullable=False),
    Column("role_arn", String(1600)),
    Column("suspended_state", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("account_id", "region", "service_namespace", "resource_id", "scalable_dimension",
                     name="uq_scalable_targets_key"),  # explicit: the generated name passes PostgreSQL's 63
)

scaling_policies = Table(
    "scaling_policies",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("arn", String(1600), nullable=False),
    Column("service_namespace", String(32), nullable=False),
    Column("resource_id", String(1600), nullable=False),
    Column("scalable_dimension", String(128), nullable=False),
    Column("policy_type", String(32), nullable=False),
    Column("configuration", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state", JSON),  # the controller's memory: when it last scaled out / in
    UniqueConstraint("account_id", "region", "service_namespace", "resource_id", "scalable_dimension", "name",
                     name="uq_scaling_policies_key"),
)

scaling_activities = Table(
    "scaling_activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("activity_id", String(64), nullable=False),
    Column("service_namespace", String(32), nullable=False),
    Column("resource_id", String(1600), nullable=False),
    Column("scalable_dimension", String(128), nullable=False),
    Column("description", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("status_code", String(32), nullable=False),
    Column("status_message", Text),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime),
    UniqueConstraint("activity_id"),
    Index("ix_scaling_activities_resource", "account_id", "region", "service_namespace", "resource_id"),
)

# --- SageMaker Model Monitor (job definitions, monitoring schedules, their executions) ------------

# A data-quality or model-quality job definition: its create request, kept as sent.
monitoring_job_definitions = Table(
    "monitoring_job_definitions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("kind", String(32), nullable=False),  # DataQuality | ModelQuality
    Column("created_at", UtcDateTime, nullable=False),
    Column("request", JSON, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "created_at"),
)

# next_run_at is when the scheduler starts the next execution (NULL: none due, e.g. a one-time
# schedule that ran, or a stopped one).
monitoring_schedules = Table(
    "monitoring_schedules",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("status", String(16), nullable=False),  # Pending | Scheduled | Stopped | Failed
    Column("monitoring_type", String(32), nullable=False),
    Column("endpoint_name", String(63)),
    Column("job_definition_name", String(63)),
    Column("config", JSON, nullable=False),  # MonitoringScheduleConfig
    Column("failure_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("next_run_at", UtcDateTime),
    Column("tags", JSON),
    Column("owner", String(512), nullable=False),
    UniqueConstraint("arn"),
    Index(None, "status"),
    Index(None, "account_id", "region", "created_at"),
)

# One execution of a schedule: a processing job of the analyzer over the capture window it covers.
monitoring_executions = Table(
    "monitoring_executions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("schedule_id", BigId, ForeignKey("monitoring_schedules.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("schedule_name", String(63), nullable=False),
    Column("endpoint_name", String(63)),
    Column("job_definition_name", String(63)),
    Column("monitoring_type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("scheduled_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("processing_job_name", String(63)),
    Column("processing_job_arn", String(256)),
    Column("output_uri", String(1024)),
    Column("failure_reason", Text),
    Index(None, "schedule_id", "scheduled_at"),
    Index(None, "status"),
)
