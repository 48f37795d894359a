"""The local executor: sandboxed subprocesses in Linux namespaces (see executor.py)."""

from sagecraft.executors.local.executor import LocalExecutor, LocalExecutorConfig
from sagecraft.executors.local.handle import LocalHandle

__all__ = ["LocalExecutor", "LocalExecutorConfig", "LocalHandle"]
