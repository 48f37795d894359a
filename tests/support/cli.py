"""Running the ``sagecraft`` command as a user would, and reading what it prints."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


def sagecraft(*args: object, env: dict[str, str] | None = None, timeout: float = 300,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``sagecraft ARGS`` with this interpreter; stdout and stderr captured as text."""
    environment = {**os.environ, **(env or {})}
    environment.pop("SAGECRAFT_HOME", None)
    return subprocess.run([sys.executable, "-m", "sagecraft.cli.main", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=environment, cwd=cwd, stdin=subprocess.DEVNULL)


def exports(stdout: str) -> dict[str, str]:
    """The variables of the ``export NAME=value`` lines (values unquoted as a shell would)."""
    found = {}
    for line in stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            found[name] = shlex.split(value)[0] if value else ""
    return found


def unsets(stdout: str) -> list[str]:
    return [name for line in stdout.splitlines() if line.startswith("unset ") for name in line.split()[1:]]
