from __future__ import annotations

import pytest

from tests.support.server import ServerProcess, free_port


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ServerProcess:
    """One server for the whole session: tests use unique bucket and resource names."""
    home = tmp_path_factory.mktemp("home")
    process = ServerProcess(home, free_port()).start()
    yield process
    process.stop()


@pytest.fixture
def fresh_server(tmp_path) -> ServerProcess:
    """A server of its own, for restart and crash tests."""
    process = ServerProcess(tmp_path / "home", free_port())
    (tmp_path / "home").mkdir()
    yield process
    process.stop()
