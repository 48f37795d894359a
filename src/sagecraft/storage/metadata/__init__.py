"""The SQL metadata store (SQLAlchemy 2 + Alembic): SQLite under the home by default, PostgreSQL by URL."""

from sagecraft.storage.metadata.store import MetadataStore, MetadataStoreError, compare_and_set

__all__ = ["MetadataStore", "MetadataStoreError", "compare_and_set"]
