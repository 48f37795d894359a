"""Tables of SageMaker's work that runs to an end: training and processing jobs, tuning, batch transform, pipelines."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sagecraft.storage.metadata.schema.base import BigId, UtcDateTime, metadata, name_column

# --- SageMaker training and processing jobs -------------------------------------------------------

# One table for both kinds: their lifecycles are the same state machine. The create request is kept
# as sent (JSON, without Tags); `runtime` is the reconciler's own record (workload handles, log
# offsets, instance folders) that lets a restarted server re-attach to running instances.
jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # training | processing
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),  # lower-cased, as SageMaker's: names are unique ignoring case
    Column("status", String(16), nullable=False),
    Column("secondary_status", String(32)),
    Column("failure_reason", Text),
    Column("exit_message", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("billable_seconds", Integer),
    Column("model_artifacts", String(1024)),
    Column("request", JSON, nullable=False),
    Column("transitions", JSON),
    Column("final_metrics", JSON),
    Column("tags", JSON),
    Column("runtime", JSON),
    Column("owner", String(512), nullable=False),  # the server (executor) that runs it: servers may share a database
    UniqueConstraint("arn"),
    Index(None, "kind", "status"),
    Index(None, "account_id", "region", "kind", "created_at"),
)


# --- SageMaker hyperparameter tuning jobs ---------------------------------------------------------

# The create request is kept as sent (JSON, without Tags); `trials` is the ordered list of the child
# training jobs launched (name, tuned values, the sampler's own parameters); `state` is the
# reconciler's snapshot (counters for listings, how the job is finishing).
tuning_jobs = Table(
    "tuning_jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(32), nullable=False),
    Column("arn", String(256), nullable=False),  # lower-cased, as SageMaker's
    Column("status", String(16), nullable=False),
    Column("failure_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("request", JSON, nullable=False),
    Column("trials", JSON),
    Column("state", JSON),
    Column("tags", JSON),
    Column("owner", String(512), nullable=False),
    UniqueConstraint("arn"),
    Index(None, "status"),
    Index(None, "account_id", "region", "created_at"),
)

# --- SageMaker Pipelines: pipelines, their executions, the executions' steps -----------------------

# The definition is kept as sent (text: DescribePipeline returns it verbatim); each execution keeps
# its own copy and its resolved parameters; `state` is the engine's (stop requested, ...).
pipelines = Table(
    "pipelines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(256), nullable=False),
    Column("arn", String(512), nullable=False),  # lower-cased, as SageMaker's
    Column("display_name", String(256)),
    Column("description", Text),
    Column("role_arn", String(2048)),
    Column("definition", Text, nullable=False),
    Column("parallelism", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("last_run_at", UtcDateTime),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "created_at"),
)

pipeline_executions = Table(
    "pipeline_executions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("pipeline_arn", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("execution_id", String(32), nullable=False),
    Column("display_name", String(256)),
    Column("description", Text),
    Column("status", String(24), nullable=False),
    Column("failure_reason", Text),
    Column("definition", Text, nullable=False),
    Column("parameters", JSON, nullable=False),  # [{Name, Value}] as strings, defaults filled in
    Column("parallelism", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("state", JSON),
    Column("owner", String(512), nullable=False),
    UniqueConstraint("arn"),
    Index(None, "status"),
    Index(None, "pipeline_arn", "created_at"),
)

# One row per step that started in an execution (retries reuse it: attempt counts up). `job` names
# the work the step made ({operation, name, arn}); `properties` is its Describe* output, which later
# steps' property references read; `cache_key` finds earlier runs with the same arguments.
pipeline_steps = Table(
    "pipeline_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("execution_arn", String(1024), nullable=False),
    Column("pipeline_arn", String(512), nullable=False),
    Column("name", String(256), nullable=False),
    Column("step_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("failure_reason", Text),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("retry_at", UtcDateTime),
    Column("job", JSON),
    Column("step_metadata", JSON),
    Column("properties", JSON),
    Column("cache_key", String(64)),
    Column("cache_source", String(1024)),
    Column("callback_token", String(64)),
    UniqueConstraint("execution_arn", "name"),
    Index(None, "pipeline_arn", "cache_key"),
    Index(None, "callback_token"),
)


# --- SageMaker batch transform jobs -----------------------------------------------------------------

# The create request is kept as sent (JSON, without Tags); `runtime` is the runner's own record (the
# workload handle, log offset, instance folder) that lets a restarted server re-attach to the job.
transform_jobs = Table(
    "transform_jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(63), nullable=False),
    Column("arn", String(256), nullable=False),  # lower-cased, as SageMaker's
    Column("status", String(16), nullable=False),
    Column("failure_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("request", JSON, nullable=False),
    Column("tags", JSON),
    Column("runtime", JSON),
    Column("owner", String(512), nullable=False),
    UniqueConstraint("arn"),
    Index(None, "status"),
    Index(None, "account_id", "region", "created_at"),
)
