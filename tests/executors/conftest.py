"""Real workloads in Linux namespaces: needs root (or CAP_SYS_ADMIN) and util-linux, as in CI."""

from __future__ import annotations

import pytest

from sagecraft.executors.base import ExecutorUnavailable
from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig


@pytest.fixture
def executor(tmp_path) -> LocalExecutor:
    local = LocalExecutor(LocalExecutorConfig(root=tmp_path / "executor"))
    try:
        local.check()
    except ExecutorUnavailable as exc:
        pytest.skip(f"namespaces unavailable here: {exc}")
    return local

