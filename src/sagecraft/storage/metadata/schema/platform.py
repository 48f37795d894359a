"""Tables of the platform services: STS, CloudWatch Logs and metrics, IAM, KMS, S3 bucket policies."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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


# --- IAM: users, groups, roles, policies, access keys ---------------------------------------------

# Users, groups and roles share one table: policies attach to any of them alike. IAM names are unique
# per kind regardless of case, hence `name_key` (the lower-cased name).
iam_principals = Table(
    "iam_principals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("kind", String(8), nullable=False),  # user | group | role
    Column("name", name_column(128), nullable=False),
    Column("name_key", name_column(128), nullable=False),
    Column("unique_id", String(32), nullable=False),  # AIDA… / AGPA… / AROA…
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("description", Text),
    Column("assume_role_policy", Text),  # roles: the trust policy
    Column("max_session_duration", Integer),
    Column("permissions_boundary", String(2048)),
    Column("tags", JSON),
    UniqueConstraint("account_id", "kind", "name_key"),
)

iam_policies = Table(
    "iam_policies",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("name", name_column(128), nullable=False),
    Column("name_key", name_column(128), nullable=False),
    Column("policy_id", String(32), nullable=False),  # ANPA…
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("description", Text),
    Column("default_version", String(8), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    UniqueConstraint("account_id", "name_key"),
)

iam_policy_versions = Table(
    "iam_policy_versions",
    metadata,
    Column("policy_id", BigId, ForeignKey("iam_policies.id", ondelete="CASCADE"), primary_key=True),
    Column("version_id", String(8), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

iam_inline_policies = Table(
    "iam_inline_policies",
    metadata,
    Column("principal_id", BigId, ForeignKey("iam_principals.id", ondelete="CASCADE"), primary_key=True),
    Column("name", name_column(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# Managed policies attached to a principal; AWS-managed ARNs (arn:aws:iam::aws:policy/…) have no row
# in iam_policies, so no foreign key.
iam_attachments = Table(
    "iam_attachments",
    metadata,
    Column("principal_id", BigId, ForeignKey("iam_principals.id", ondelete="CASCADE"), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Index(None, "policy_arn"),
)

iam_group_members = Table(
    "iam_group_members",
    metadata,
    Column("group_id", BigId, ForeignKey("iam_principals.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigId, ForeignKey("iam_principals.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "user_id"),
)

iam_access_keys = Table(
    "iam_access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("secret_access_key", String(128), nullable=False),
    Column("principal_id", BigId, ForeignKey("iam_principals.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(8), nullable=False),  # Active | Inactive
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Index(None, "principal_id"),
)

# --- KMS: keys (their material wrapped by the master key), aliases, grants ----------------------------

kms_keys = Table(
    "kms_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("description", Text, nullable=False),
    Column("key_usage", String(32), nullable=False),
    Column("key_spec", String(32), nullable=False),
    Column("key_manager", String(16), nullable=False),  # CUSTOMER | AWS
    Column("state", String(32), nullable=False),  # Enabled | Disabled | PendingDeletion
    Column("created_at", UtcDateTime, nullable=False),
    Column("deletion_date", UtcDateTime),
    Column("pending_window_days", Integer),
    Column("rotation_enabled", Boolean, nullable=False),
    Column("policy", Text, nullable=False),
    Column("materials", JSON, nullable=False),  # [wrapped material, base64], newest last (rotation)
    Column("tags", JSON),
    Index(None, "account_id", "region"),
)

kms_aliases = Table(
    "kms_aliases",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("alias_name", name_column(256), primary_key=True),
    Column("target_key_id", String(36), ForeignKey("kms_keys.key_id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

kms_grants = Table(
    "kms_grants",
    metadata,
    Column("grant_id", String(64), primary_key=True),
    Column("key_id", String(36), ForeignKey("kms_keys.key_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(256)),
    Column("grantee_principal", String(256), nullable=False),
    Column("retiring_principal", String(256)),
    Column("operations", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "key_id"),
)

# --- S3 bucket policies (resource-based policies the authorizer evaluates) ---------------------------

s3_bucket_policies = Table(
    "s3_bucket_policies",
    metadata,
    Column("bucket", name_column(63), primary_key=True),
    Column("policy", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# --- security: S3 bucket default encryption (PutBucketEncryption's configuration) -------------------

s3_bucket_encryption = Table(
    "s3_bucket_encryption",
    metadata,
    Column("bucket", name_column(63), primary_key=True),
    Column("configuration", Text, nullable=False),  # the ServerSideEncryptionConfiguration, as JSON
    Column("updated_at", UtcDateTime, nullable=False),
)
