"""Metadata-store backends for tests: SQLite always, PostgreSQL when SAGECRAFT_TEST_POSTGRES_URL
points at a server (``tests/support/postgres.sh start`` prints one). Each PostgreSQL test gets a
scratch database of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sagecraft.storage.metadata.engine import normalize_url

POSTGRES_URL_ENV = "SAGECRAFT_TEST_POSTGRES_URL"

# Parametrize a fixture with these to run a test on every metadata backend.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (start a server with tests/support/postgres.sh start)")
    return url


@contextmanager
def scratch_postgres_database(base_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``base_url`` (whose role needs CREATEDB)."""
    name = f"sagecraft_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield normalize_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """An empty metadata database on ``backend`` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'metadata.sqlite3'}"
        return
    with scratch_postgres_database(postgres_url_or_skip()) as url:
        yield url


def server_database_url(home: Path, extra_env: dict[str, str] | None = None) -> str:
    """The metadata database a test server with this home and environment uses."""
    chosen = (extra_env or {}).get("SAGECRAFT_DATABASE_URL") or os.environ.get("SAGECRAFT_DATABASE_URL")
    return chosen or f"sqlite:///{home / 'metadata.sqlite3'}"


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()
