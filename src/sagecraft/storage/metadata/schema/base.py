"""The one MetaData of the metadata store, its naming convention and the column types its tables share."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    String,
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
