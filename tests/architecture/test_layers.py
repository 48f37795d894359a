"""The layer contract (design.md): imports point downward only, checked by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# import-linter's own entry point, run by this interpreter (a venv's console scripts carry the
# absolute path of the venv they were installed in).
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_import_contracts_hold():
    result = subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--config", str(REPO / "pyproject.toml")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
