from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import scratch_postgres_database
from tests.support.server import ServerProcess, free_port

# SAGECRAFT_TEST_SERVER_DATABASE=<postgresql url> runs every test server on a database of its own
# on that PostgreSQL server (scripts/test.sh does so for the metadata-backed API suites), so the
# same tests pass on SQLite and on PostgreSQL.
SERVER_DATABASE_ENV = "SAGECRAFT_TEST_SERVER_DATABASE"


@contextlib.contextmanager
def _server_database() -> Iterator[dict[str, str]]:
    base = os.environ.get(SERVER_DATABASE_ENV)
    if not base:
        yield {}
        return
    with scratch_postgres_database(base) as url:
        yield {"SAGECRAFT_DATABASE_URL": url}


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    """One server for the whole session: tests use unique bucket and resource names."""
    home = tmp_path_factory.mktemp("home")
    with _server_database() as env:
        process = ServerProcess(home, free_port(), env).start()
        yield process
        process.stop()


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[ServerProcess]:
    """A server of its own, for restart and crash tests."""
    (tmp_path / "home").mkdir()
    with _server_database() as env:
        process = ServerProcess(tmp_path / "home", free_port(), env)
        yield process
        process.stop()
