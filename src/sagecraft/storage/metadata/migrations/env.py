"""Alembic environment: runs on the connection (and transaction) handed over by
``sagecraft.storage.metadata.migrate``; there is no offline mode and no alembic.ini."""

from __future__ import annotations

from alembic import context

from sagecraft.storage.metadata.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through sagecraft.storage.metadata.migrate, which provides the connection.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
