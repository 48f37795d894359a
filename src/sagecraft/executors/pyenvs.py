"""Cached virtual environments for the ``requirements.txt`` of a job's source directory.

The framework containers ``pip install -r requirements.txt`` before running the entry point. Here
each distinct (interpreter, requirements) pair gets one venv, built once and reused, layered on
the runtime's interpreter: created with --system-site-packages, plus a .pth file naming the
runtime's own site-packages when that interpreter is itself a venv (--system-site-packages alone
would reach only the base Python's). Packages the requirements pin win over the runtime's.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sagecraft.executors.base import ExecutorError

READY = ".sagecraft-ready"


class RequirementsError(ExecutorError):
    """pip could not install a job's requirements.txt (the message ends with pip's last lines)."""


class PythonEnvironments:
    def __init__(self, root: Path, pip_python: str | None = None) -> None:
        self.root = Path(root)
        self.pip_python = pip_python or sys.executable  # runs `pip --python <venv>`: the venv needs no pip

    def key(self, base_python: str, requirements: bytes) -> str:
        identity = f"{Path(base_python).absolute()}\0{_version(base_python)}\0".encode() + requirements
        return hashlib.sha256(identity).hexdigest()[:16]

    def for_requirements(self, base_python: str, requirements: Path,
                         log: Callable[[str], None] | None = None) -> str:
        """The interpreter of a venv with ``requirements`` installed on top of ``base_python``."""
        key = self.key(base_python, requirements.read_bytes())
        env_dir = self.root / key
        python = env_dir / "bin" / "python"
        if (env_dir / READY).exists():
            return str(python)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build per key, across server processes too
            if not (env_dir / READY).exists():
                shutil.rmtree(env_dir, ignore_errors=True)  # a build that failed half-way
                self._build(base_python, env_dir, requirements, log or (lambda _line: None))
        return str(python)

    def _build(self, base_python: str, env_dir: Path, requirements: Path, log: Callable[[str], None]) -> None:
        log(f"Creating a Python environment for {requirements.name} in {env_dir}")
        _run([base_python, "-m", "venv", "--without-pip", "--system-site-packages", str(env_dir)], log)
        python = str(env_dir / "bin" / "python")
        purelib = _query(python, "import sysconfig; print(json.dumps(sysconfig.get_paths()['purelib']))")
        parents = _query(base_python, "import site; print(json.dumps(site.getsitepackages()))")
        Path(purelib, "_sagecraft_runtime.pth").write_text("".join(f"{p}\n" for p in parents))
        _run([self.pip_python, "-m", "pip", "--python", python, "install", "--disable-pip-version-check",
              "--no-input", "-r", requirements.name], log, cwd=requirements.parent)
        (env_dir / READY).write_text(requirements.read_text())


def _version(python: str) -> str:
    return _query(python, "import sys; print(json.dumps(sys.version))")


def _query(python: str, code: str):
    done = subprocess.run([python, "-c", f"import json; {code}"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _run(argv: list[str], log: Callable[[str], None], cwd: Path | None = None) -> None:
    tail: list[str] = []
    with subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log(line.rstrip("\n"))
            tail = [*tail[-19:], line.rstrip("\n")]
    if process.returncode != 0:
        raise RequirementsError(f"`{' '.join(argv)}` failed with exit code {process.returncode}: "
                                + " | ".join(tail[-5:]))
