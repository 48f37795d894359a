"""Helpers for the executor tests (a module of its own: conftest is not importable)."""

from __future__ import annotations

import sys
from pathlib import Path

from sagecraft.executors.base import WorkloadSpec

PYTHON_BIN = str(Path(sys.executable).parent)


def base_env(**extra: str) -> dict[str, str]:
    return {"PATH": f"{PYTHON_BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8",
            **extra}


def script_spec(instance_dir: Path, code: str, job_name: str = "job", **overrides) -> WorkloadSpec:
    """A training workload running ``code`` as /opt/ml/code/script.py."""
    (instance_dir / "code").mkdir(parents=True, exist_ok=True)
    (instance_dir / "code" / "script.py").write_text(code)
    args = dict(kind="training", job_name=job_name, instance_dir=instance_dir,
                argv=["python3", "/opt/ml/code/script.py"], environment=base_env(), working_dir="/opt/ml/code")
    return WorkloadSpec(**{**args, **overrides})


def texts(handle) -> list[str]:
    return [line.text for line in handle.read_log()[0]]
