"""The executor protocol: a WorkloadSpec goes in, a handle comes out.

A workload is one instance of a job (a training or processing "container"): a command run with
``/opt/ml`` bound to a host folder. The jobs service stages inputs into that folder, starts the
workload, tails its log, and uploads outputs once it has exited. Executors (local namespaces, Ray,
a fake for tests) differ only in where and how the command runs.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

CONTAINER_ML_ROOT = "/opt/ml"


class ExecutorError(Exception):
    """A workload could not be started, found or controlled."""


class ExecutorUnavailable(ExecutorError):
    """The executor cannot run workloads on this machine as configured (says which setting to change)."""


class UnknownWorkload(ExecutorError):
    """No workload has this handle id (never started here, or its records were removed)."""


class JobKind(enum.StrEnum):
    TRAINING = "training"
    PROCESSING = "processing"


class WorkloadState(enum.StrEnum):
    RUNNING = "running"
    EXITED = "exited"


class Outcome(enum.StrEnum):
    """Why a workload ended; the jobs service maps it to Completed / Failed / Stopped."""

    COMPLETED = "completed"  # exit code 0
    FAILED = "failed"  # non-zero exit code or killed by a signal it did not ask for
    STOPPED = "stopped"  # stop() was called
    MAX_RUNTIME = "max_runtime"  # max_runtime_seconds elapsed and it was killed
    ERROR = "error"  # the sandbox could not be set up; the command never ran
    LOST = "lost"  # its supervisor vanished without recording an outcome (e.g. the machine rebooted)


@dataclass(frozen=True)
class WorkloadSpec:
    """One instance of a job, as the executor needs it. Paths in argv/env/working_dir are container paths."""

    kind: JobKind
    job_name: str
    instance_dir: Path  # host folder that becomes /opt/ml
    argv: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)  # the complete environment of the command
    instance_index: int = 0
    hosts: tuple[str, ...] = ("algo-1",)
    instance_type: str = "ml.m5.large"
    max_runtime_seconds: float | None = None
    network_isolation: bool = False
    working_dir: str = CONTAINER_ML_ROOT
    stop_grace_seconds: float = 10.0  # SIGTERM → SIGKILL delay when max runtime is reached

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", JobKind(self.kind))
        object.__setattr__(self, "instance_dir", Path(self.instance_dir))
        object.__setattr__(self, "argv", tuple(str(a) for a in self.argv))
        object.__setattr__(self, "hosts", tuple(self.hosts))
        object.__setattr__(self, "environment", {str(k): str(v) for k, v in dict(self.environment).items()})
        if not self.argv:
            raise ValueError("WorkloadSpec.argv must name a command")
        if not self.hosts or not 0 <= self.instance_index < len(self.hosts):
            raise ValueError(f"instance_index {self.instance_index} is not one of hosts {list(self.hosts)}")
        if self.max_runtime_seconds is not None and self.max_runtime_seconds <= 0:
            raise ValueError("max_runtime_seconds must be positive")
        for key in self.environment:
            if not key or "=" in key or "\0" in key:
                raise ValueError(f"invalid environment variable name {key!r}")

    @property
    def current_host(self) -> str:
        return self.hosts[self.instance_index]

    @property
    def instance_count(self) -> int:
        return len(self.hosts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value, "job_name": self.job_name, "instance_dir": str(self.instance_dir),
            "argv": list(self.argv), "environment": dict(self.environment),
            "instance_index": self.instance_index, "hosts": list(self.hosts),
            "instance_type": self.instance_type, "max_runtime_seconds": self.max_runtime_seconds,
            "network_isolation": self.network_isolation, "working_dir": self.working_dir,
            "stop_grace_seconds": self.stop_grace_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkloadSpec:
        return cls(**{**data, "argv": tuple(data["argv"]), "hosts": tuple(data["hosts"])})


@dataclass(frozen=True)
class WorkloadStatus:
    state: WorkloadState
    outcome: Outcome | None = None  # set once exited
    exit_code: int | None = None  # the command's exit code; 128+N when killed by signal N
    signal: int | None = None  # the signal that killed it, if any
    started_at: float | None = None  # epoch seconds the command was started
    ended_at: float | None = None
    message: str = ""  # one line for humans: "exited with code 1", "MaxRuntimeInSeconds exceeded", …

    @property
    def running(self) -> bool:
        return self.state is WorkloadState.RUNNING


# ---- the log every handle exposes: one record a line, "<epoch ms>\t<stream>\t<text>\n" -------------

STREAMS = {"o": "stdout", "e": "stderr", "s": "system"}


@dataclass(frozen=True)
class LogLine:
    timestamp_ms: int
    stream: str  # "stdout" | "stderr" | "system" (the executor's own notes, e.g. why it killed the job)
    text: str


def format_log_line(timestamp_ms: int, stream: str, text: bytes) -> bytes:
    """The inverse of read_log for one line (stream is the one-letter code: o, e or s)."""
    return b"%d\t%s\t%s\n" % (timestamp_ms, stream.encode(), text)


def read_log(path: str | os.PathLike, offset: int = 0, max_bytes: int = 1 << 20) -> tuple[list[LogLine], int]:
    """Complete lines from ``offset`` on, and the offset to continue from (a partial last line waits)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read(max_bytes)
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    lines: list[LogLine] = []
    for raw in chunk[: end + 1].splitlines():
        stamp, _, rest = raw.partition(b"\t")
        code, _, text = rest.partition(b"\t")
        try:
            timestamp = int(stamp)
        except ValueError:
            continue  # not ours; never fail a tail over one bad line
        lines.append(LogLine(timestamp, STREAMS.get(code.decode(errors="replace"), "stdout"),
                             text.decode("utf-8", errors="replace")))
    return lines, offset + end + 1


def log_tail(path: str | os.PathLike, lines: int = 20, stream: str | None = "stderr",
             window: int = 64 * 1024) -> list[str]:
    """The last ``lines`` lines of one stream (for FailureReason), read from the file's end."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return []
    start = max(0, size - window)
    records, _ = read_log(path, start, max_bytes=window)
    if start:
        records = records[1:]  # the first one may have been cut
    picked = [r.text for r in records if stream is None or r.stream == stream]
    return picked[-lines:]


# ---- protocols ------------------------------------------------------------------------------------


@runtime_checkable
class WorkloadHandle(Protocol):
    """A started workload. Every method is safe to call from any process that can see its records."""

    @property
    def id(self) -> str: ...

    @property
    def log_path(self) -> Path: ...

    def poll(self) -> WorkloadStatus: ...

    def wait(self, timeout: float | None = None) -> WorkloadStatus:
        """Block until exited or ``timeout`` seconds passed; returns the status either way."""
        ...

    def stop(self, grace_seconds: float = 10.0) -> WorkloadStatus:
        """SIGTERM the whole process tree, SIGKILL what is left after the grace; returns once it exited."""
        ...

    def read_log(self, offset: int = 0) -> tuple[list[LogLine], int]: ...

    def stderr_tail(self, lines: int = 20) -> list[str]: ...

    def remove(self) -> None:
        """Forget an exited workload's records (after its outcome is persisted elsewhere)."""
        ...


class Reservation(Protocol):
    """Slots for the instances of one job, granted first-come first-served (see capacity.SlotPool)."""

    owner: str
    instances: int

    @property
    def granted(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def release(self) -> None:
        """Give back the slots no started workload took (or stop waiting); idempotent."""
        ...


class Executor(Protocol):
    def reserve(self, owner: str, instances: int = 1) -> Reservation:
        """Queue for capacity for ``instances`` workloads; never blocks (wait on the reservation)."""
        ...

    def start(self, spec: WorkloadSpec, reservation: Reservation | None = None) -> WorkloadHandle:
        """Start one instance; takes one slot of ``reservation`` (granted), or waits for a slot of its own."""
        ...

    def attach(self, handle_id: str) -> WorkloadHandle:
        """The handle of a workload started earlier, possibly by another (dead) server process."""
        ...

    def running(self) -> list[WorkloadHandle]:
        """Workloads started and not yet exited (after a restart too)."""
        ...
