"""The metadata store: an engine at schema head, units of work, and compare-and-set updates.

Services use SQLAlchemy Core on the connection a unit of work yields::

    with store.write() as db:           # one transaction, committed on success
        db.execute(insert(table).values(...))

``read()`` is for transactions that only read; ``write()`` for those that write (on SQLite it
takes the write lock up front, see engine.py). Connections come from a pool shared by the
gateway's worker threads; never share one connection between threads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from alembic.util import CommandError
from sqlalchemy import Connection, Engine, Table, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from sagecraft.storage.metadata import migrate
from sagecraft.storage.metadata.engine import WRITE_OPTION, create_engine


class MetadataStoreError(Exception):
    """The metadata store cannot be used (unreachable, or its schema is from a newer Sagecraft)."""


class MetadataStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | URL, *, upgrade: bool = True, **engine_kwargs) -> MetadataStore:
        """Connect and (by default) bring the schema to head, as the server does at start-up."""
        engine = create_engine(url, **engine_kwargs)
        shown = engine.url.render_as_string(hide_password=True)
        try:
            if upgrade:
                migrate.upgrade(engine)
        except OperationalError as error:
            engine.dispose()
            raise MetadataStoreError(f"Cannot use the metadata store {shown}: {error.orig}") from error
        except CommandError as error:  # e.g. a revision this (older) Sagecraft does not know
            engine.dispose()
            raise MetadataStoreError(f"Cannot upgrade the metadata store {shown} to this Sagecraft's schema "
                                     f"({migrate.head_revision()}): {error}") from error
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
            yield connection

    def close(self) -> None:
        self.engine.dispose()


def compare_and_set(db: Connection, table: Table, key: Mapping[str, Any], expected: Mapping[str, Any],
                    values: Mapping[str, Any]) -> bool:
    """Update the row ``key`` with ``values`` only if its columns still hold ``expected`` (e.g. a
    status): the atomic step of a state machine. False when another writer got there first or the
    row is gone. ``None`` in ``expected`` means SQL NULL."""
    conditions = [table.c[name] == value for name, value in {**key, **expected}.items()]
    result = db.execute(update(table).where(*conditions).values(**values))
    return result.rowcount == 1
