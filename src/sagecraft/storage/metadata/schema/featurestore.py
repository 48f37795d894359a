"""Tables of the Feature Store, the Glue Data Catalog and Athena."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sagecraft.storage.metadata.schema.base import BigId, UtcDateTime, metadata, name_column

# --- Feature Store: feature groups, the Glue Data Catalog, Athena query executions -------------------

# The create request is kept as sent (without Tags); `feature_definitions` grows with UpdateFeatureGroup
# (each addition is a new schema version); `feature_metadata` holds UpdateFeatureMetadata's
# descriptions and parameters by feature name. `created_epoch` names the offline table and prefix.
feature_groups = Table(
    "feature_groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(64), nullable=False),
    Column("arn", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("offline_status", String(16)),
    Column("failure_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_epoch", BigInteger, nullable=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("request", JSON, nullable=False),
    Column("feature_definitions", JSON, nullable=False),
    Column("feature_metadata", JSON),
    Column("last_update_status", JSON),
    Column("tags", JSON),
    UniqueConstraint("arn"),
    Index(None, "account_id", "region", "created_at"),
)

glue_databases = Table(
    "glue_databases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", name_column(255), nullable=False),
    Column("description", Text),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "region", "name"),
)

# `table_input` is the Glue TableInput as given (StorageDescriptor with Columns and Location).
glue_tables = Table(
    "glue_tables",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("database", name_column(255), nullable=False),
    Column("name", name_column(255), nullable=False),
    Column("table_input", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "region", "database", "name"),
)

athena_queries = Table(
    "athena_queries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("query_id", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("work_group", String(128), nullable=False),
    Column("query", Text, nullable=False),
    Column("statement_type", String(16), nullable=False),
    Column("context", JSON),
    Column("output_location", Text),
    Column("state", String(16), nullable=False),
    Column("state_change_reason", Text),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("statistics", JSON),
    Column("client_request_token", String(128)),
    UniqueConstraint("query_id"),
    Index(None, "account_id", "region", "submitted_at"),
)
