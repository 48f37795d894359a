"""The files of one run folder, shared by the executor (any server process) and the supervisor.

The supervisor reads and writes only tiny ``key=value`` and NUL-separated files so that it never
imports ``json`` (tens of milliseconds of start-up on a small machine); ``spec.json`` is for the
server side alone.

    spec.json        the WorkloadSpec (server side)
    launch/config    key=value: isolation, instance_dir, cwd, hostname, hosts_file, network, …
    launch/argv      NUL-separated argv of the command
    launch/env       NUL-separated KEY=VALUE environment of the command
    leader           "<pid> <start ticks>" of the process the server launched (session leader)
    started          "<epoch seconds>" once the command was spawned
    output.log       timestamped lines (base.read_log)
    supervisor.log   the launcher's own stderr, for post-mortems
    stop             "<grace seconds> <reason>" — a stop request (written before signalling)
    exit             key=value outcome, written atomically by whoever ends the run
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

SPEC = "spec.json"
LAUNCH_DIR = "launch"
LEADER = "leader"
STARTED = "started"
OUTPUT_LOG = "output.log"
SUPERVISOR_LOG = "supervisor.log"
STOP = "stop"
EXIT = "exit"


def write_kv(path: Path, values: Mapping[str, object]) -> None:
    """Atomically write ``key=value`` lines (values on one line)."""
    body = "".join(f"{k}={_one_line(v)}\n" for k, v in values.items())
    _write_atomic(path, body.encode())


def read_kv(path: Path) -> dict[str, str] | None:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return None
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def write_nul(path: Path, items: list[str]) -> None:
    for item in items:
        if "\0" in item:
            raise ValueError(f"NUL byte in {item!r}")
    _write_atomic(path, b"".join(i.encode() + b"\0" for i in items))


def write_stop(run_dir: Path, grace_seconds: float) -> None:
    """A stop request: the supervisor reads the grace from it when signalled (or when it starts)."""
    _write_atomic(run_dir / STOP, f"{grace_seconds} stopped\n".encode())


def _one_line(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\r", " ").replace("\n", " ")


def _write_atomic(path: Path, data: bytes) -> None:
    # Unique per writer: two threads of one process may end the same run at once (the job's runner and
    # the reconciler); a shared temporary name let one rename the other's file away.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


# ---- processes, identified by pid and start time so a recycled pid is never mistaken for ours ------


def proc_start_ticks(pid: int, zombie_ok: bool = False) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time since boot), or None if gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    if not fields or (fields[0] in (b"Z", b"X") and not zombie_ok):
        return None  # exited, not yet reaped: as good as gone
    return int(fields[19])


def read_leader(run_dir: Path) -> tuple[int, int] | None:
    try:
        pid, ticks = (run_dir / LEADER).read_text().split()
        return int(pid), int(ticks)
    except (FileNotFoundError, ValueError):
        return None


def leader_alive(run_dir: Path) -> bool:
    leader = read_leader(run_dir)
    return leader is not None and proc_start_ticks(leader[0]) == leader[1]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(p) for p in text.split()]
