"""The SQLAlchemy engine for a metadata store URL: SQLite (embedded default) or PostgreSQL.

SQLite is tuned for many threads of one server (and the job processes beside it) sharing one file:
WAL (readers never block the writer), ``synchronous=NORMAL`` (durable at checkpoints, safe with
WAL), foreign keys on, and a busy timeout so writers queue instead of failing. The driver's own
transaction handling is switched off and we emit ``BEGIN`` ourselves, so a write transaction can
start with ``BEGIN IMMEDIATE``: taking the write lock up front avoids the deadlock-prone upgrade
from a read lock, which SQLite answers with ``SQLITE_BUSY`` regardless of the timeout."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, make_url

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "sagecraft_write"  # execution option: this transaction will write


def normalize_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine(url: str | URL, **kwargs) -> Engine:
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if backend == "postgresql":
        # Pool sized for the gateway's worker threads; pre-ping survives a database restart.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
        kwargs.setdefault("pool_pre_ping", True)
        return sa_create_engine(parsed, **kwargs)
    raise ValueError(f"Unsupported metadata store {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_engine(url: URL, **kwargs) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    engine = sa_create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
