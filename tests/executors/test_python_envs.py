"""requirements.txt → a cached venv layered on the runtime's interpreter (offline: satisfied requirements)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sagecraft.executors.pyenvs import PythonEnvironments


@pytest.mark.slow
def test_a_requirements_env_is_built_once_and_sees_the_runtimes_packages(tmp_path):
    requirements = tmp_path / "code" / "requirements.txt"
    requirements.parent.mkdir()
    requirements.write_text("six\n")
    envs = PythonEnvironments(tmp_path / "envs")
    logged: list[str] = []
    python = envs.for_requirements(sys.executable, requirements, logged.append)
    assert python.startswith(str(tmp_path / "envs")) and any("six" in line for line in logged)
    shown = subprocess.run([python, "-c", "import sys, xgboost, six; print(sys.prefix)"],
                           capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == str(tmp_path / "envs" / envs.key(sys.executable, b"six\n"))
    again: list[str] = []
    assert envs.for_requirements(sys.executable, requirements, again.append) == python and again == []
