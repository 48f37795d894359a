"""Is a process still the one we think it is? (A pid alone may have been recycled.)"""

from __future__ import annotations

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:  # the command name (field 2) may hold spaces and parentheses: split after its last ")"
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux); None where /proc cannot tell."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def process_alive(pid: int, started: int | None = None) -> bool:
    """True while ``pid`` runs (and, when ``started`` is given, is the process that started then)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _stat_fields(pid)
    if fields is None:
        return True
    if fields[0] == "Z":  # exited, not yet reaped
        return False
    return started is None or int(fields[19]) == started
