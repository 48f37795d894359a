"""Every table of the metadata store, in one MetaData (the migrations' target).

Lifecycle fields are columns; nested configuration blocks are JSON. A capability that needs tables
adds them here *and* in a new migration under ``migrations/versions`` (see docs/metadata.md); a unit
test checks that the migrations at head produce exactly this schema."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Named constraints keep migrations (and SQLite batch rebuilds) deterministic across backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset: store UTC, tag on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def name_column(length: int) -> String:
    """A name compared and ordered by code point, as AWS lists them (PostgreSQL's default collation
    would sort case- and punctuation-insensitively; SQLite's BINARY already is code point order)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# Integer primary keys that must be SQLite rowid aliases to autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")


# --- STS: temporary credentials issued by AssumeRole --------------------------------------------

sts_credentials = Table(
    "sts_credentials",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("secret_access_key", String(128), nullable=False),
    Column("session_token", Text, nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("arn", String(2048), nullable=False),  # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    Column("user_id", String(193), nullable=False),  # AssumedRoleId: ROLEID:SESSION
    Column("role_arn", String(2048), nullable=False),
    Column("role_session_name", String(64), nullable=False),
    Column("source_identity", String(256)),
    Column("issuer_arn", String(2048), nullable=False),  # who called AssumeRole
    Column("session_policy", JSON),
    Column("policy_arns", JSON),
    Column("session_tags", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)


# --- CloudWatch Logs ----------------------------------------------------------------------------

log_groups = Table(
    "log_groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(512), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("retention_days", Integer),
    Column("kms_key_id", String(256)),
    Column("group_class", String(32), nullable=False),
    Column("deletion_protection", Boolean, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("account_id", "region", "name"),
)

log_streams = Table(
    "log_streams",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False),
    Column("name", name_column(512), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("first_event_ms", BigInteger),
    Column("last_event_ms", BigInteger),
    Column("last_ingestion_ms", BigInteger),
    Column("stored_bytes", BigInteger, nullable=False),
    Column("upload_sequence", BigInteger, nullable=False),
    UniqueConstraint("group_id", "name"),
    Index(None, "group_id", "last_event_ms"),
)

# id is the ingestion order: together with the timestamp it is the read order and the position
# GetLogEvents/FilterLogEvents tokens point at.
log_events = Table(
    "log_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False),
    Column("stream_id", BigId, ForeignKey("log_streams.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("ingestion_ms", BigInteger, nullable=False),
    Column("message", Text, nullable=False),
    Index(None, "stream_id", "timestamp_ms", "id"),
    Index(None, "group_id", "timestamp_ms", "id"),
)


# --- CloudWatch metrics -------------------------------------------------------------------------

# One row per metric identity (namespace, name, dimension set). ``series_key`` is a digest of all
# three: a dimension set can be 30 x 1 KiB, too long for a portable unique index (and PostgreSQL
# caps constraint names at 63 bytes, so the identity is one column).
cloudwatch_metrics = Table(
    "cloudwatch_metrics",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("series_key", String(64), nullable=False),
    Column("namespace", name_column(255), nullable=False),
    Column("metric_name", name_column(255), nullable=False),
    Column("dimensions", JSON, nullable=False),  # [{"Name", "Value"}] sorted by name
    Column("created_ms", BigInteger, nullable=False),
    Column("last_put_ms", BigInteger, nullable=False),  # ListMetrics RecentlyActive=PT3H
    UniqueConstraint("account_id", "region", "series_key"),
    Index(None, "account_id", "region", "namespace", "metric_name"),
)

# Dimensions again as rows, so ListMetrics/Dimensions filters are indexed lookups.
cloudwatch_metric_dimensions = Table(
    "cloudwatch_metric_dimensions",
    metadata,
    Column("metric_id", BigId, ForeignKey("cloudwatch_metrics.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("value", String(1024), nullable=False),
    Index(None, "name", "metric_id"),
)

# A datapoint is a statistic set: a single value v is (1, v, v, v); Values/Counts become one row
# per distinct value. Percentiles use rows whose minimum equals maximum, as CloudWatch does.
cloudwatch_datapoints = Table(
    "cloudwatch_datapoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("metric_id", BigId, ForeignKey("cloudwatch_metrics.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("sample_count", Float, nullable=False),
    Column("sum", Float, nullable=False),
    Column("minimum", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    Column("unit", String(32)),
    Column("storage_resolution", Integer, nullable=False),
    Index(None, "metric_id", "timestamp_ms"),
)


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
