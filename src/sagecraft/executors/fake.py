"""An in-process executor for the tests of later layers: no subprocess, no namespace.

A *behaviour* plays the container: a function of (spec, context) run on a thread, which may write
files into the instance folder, print log lines, wait for a stop, and returns the exit code.

    executor = FakeExecutor(scripted(stdout=["[0]#011train-auc:0.9"], files={"/opt/ml/model/m": "x"}))
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from sagecraft.executors import base, toolkit
from sagecraft.executors.base import Outcome, UnknownWorkload, WorkloadSpec, WorkloadState, WorkloadStatus
from sagecraft.executors.capacity import DEFAULT_SLOTS, SlotPool, SlotReservation


class FakeContext:
    def __init__(self, spec: WorkloadSpec, log_path: Path) -> None:
        self.spec = spec
        self.stopping = threading.Event()  # set by stop() and by the max runtime
        self._log_path = log_path
        self._lock = threading.Lock()

    def print(self, text: str, stream: str = "stdout") -> None:
        code = {"stdout": "o", "stderr": "e", "system": "s"}[stream]
        with self._lock, open(self._log_path, "ab") as f:
            f.write(base.format_log_line(int(time.time() * 1000), code, text.encode()))

    def host_path(self, container_path: str) -> Path:
        return toolkit.host_path(self.spec.instance_dir, container_path)


Behaviour = Callable[[WorkloadSpec, FakeContext], int]


def scripted(exit_code: int = 0, stdout: tuple[str, ...] | list[str] = (), stderr: tuple[str, ...] | list[str] = (),
             files: Mapping[str, str | bytes] | None = None, hold: threading.Event | None = None,
             until_stopped: bool = False) -> Behaviour:
    """Print, write ``files`` (container paths), then wait for ``hold`` (or a stop), then exit."""
    def behaviour(spec: WorkloadSpec, ctx: FakeContext) -> int:
        for line in stdout:
            ctx.print(line)
        for path, content in (files or {}).items():
            target = ctx.host_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        for line in stderr:
            ctx.print(line, "stderr")
        while (until_stopped or (hold is not None and not hold.is_set())) and not ctx.stopping.is_set():
            time.sleep(0.01)
        return 143 if ctx.stopping.is_set() else exit_code
    return behaviour


class FakeHandle:
    def __init__(self, handle_id: str, spec: WorkloadSpec, log_path: Path, behaviour: Behaviour) -> None:
        self._id = handle_id
        self.spec = spec
        self._log_path = log_path
        self.context = FakeContext(spec, log_path)
        self._status = WorkloadStatus(WorkloadState.RUNNING, started_at=time.time())
        self._reason: tuple[Outcome, str] | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(behaviour,), daemon=True, name=f"fake-{handle_id}")
        self._timer = None
        if spec.max_runtime_seconds:
            self._timer = threading.Timer(spec.max_runtime_seconds, self._end, (Outcome.MAX_RUNTIME,
                                          f"MaxRuntimeInSeconds ({spec.max_runtime_seconds:g} s) exceeded"))
            self._timer.daemon = True
        self._thread.start()
        if self._timer:
            self._timer.start()

    @property
    def id(self) -> str:
        return self._id

    @property
    def log_path(self) -> Path:
        return self._log_path

    def _run(self, behaviour: Behaviour) -> None:
        try:
            code = behaviour(self.spec, self.context)
        except Exception as exc:  # a crashing behaviour is a crashing container
            self.context.print(f"{type(exc).__name__}: {exc}", "stderr")
            code = 1
        outcome, message = self._reason or (Outcome.COMPLETED if code == 0 else Outcome.FAILED,
                                            f"the command exited with code {code}")
        self._finish(outcome, message, code)

    def _end(self, outcome: Outcome, message: str) -> None:
        if self._reason is None and not self._done.is_set():
            self._reason = (outcome, message)
            self.context.stopping.set()

    def _finish(self, outcome: Outcome, message: str, code: int | None) -> None:
        if self._done.is_set():
            return
        if self._timer:
            self._timer.cancel()
        self._status = WorkloadStatus(WorkloadState.EXITED, outcome, code, None, self._status.started_at,
                                      time.time(), message)
        self._done.set()

    def poll(self) -> WorkloadStatus:
        return self._status

    def wait(self, timeout: float | None = None) -> WorkloadStatus:
        self._done.wait(timeout)
        return self._status

    def stop(self, grace_seconds: float = 10.0) -> WorkloadStatus:
        self._end(Outcome.STOPPED, "stopped on request")
        if not self._done.wait(grace_seconds):
            self._finish(Outcome.STOPPED, "stopped on request; killed after the grace period", 137)
        return self._status

    def read_log(self, offset: int = 0) -> tuple[list[base.LogLine], int]:
        return base.read_log(self._log_path, offset)

    def stderr_tail(self, lines: int = 20) -> list[str]:
        return base.log_tail(self._log_path, lines)

    def remove(self) -> None:
        self._log_path.unlink(missing_ok=True)


class FakeExecutor:
    def __init__(self, behaviour: Behaviour | None = None, root: Path | None = None,
                 slots: int = DEFAULT_SLOTS) -> None:
        self.behaviour = behaviour or scripted()
        self.root = Path(root or tempfile.mkdtemp(prefix="sagecraft-fake-executor-"))
        self.slots = SlotPool(slots)
        self.handles: dict[str, FakeHandle] = {}
        self.started: list[WorkloadSpec] = []  # every spec, in start order, for assertions
        self._ids = itertools.count(1)

    def reserve(self, owner: str, instances: int = 1) -> SlotReservation:
        return self.slots.reserve(owner, instances)

    def start(self, spec: WorkloadSpec, reservation: SlotReservation | None = None) -> FakeHandle:
        own = reservation is None
        if reservation is None:
            reservation = self.slots.reserve(spec.job_name)
            reservation.wait()
        handle_id = f"{spec.job_name}-{spec.current_host}-{next(self._ids)}"
        spec.instance_dir.mkdir(parents=True, exist_ok=True)
        handle = FakeHandle(handle_id, spec, self.root / f"{handle_id}.log", self.behaviour)
        self.handles[handle_id] = handle
        self.started.append(spec)
        reservation.take(handle_id, lambda: handle.poll().running)
        if own:
            reservation.release()
        return handle

    def attach(self, handle_id: str) -> FakeHandle:
        if handle_id not in self.handles:
            raise UnknownWorkload(f"no fake workload {handle_id!r}")
        return self.handles[handle_id]

    def running(self) -> list[FakeHandle]:
        return [h for h in self.handles.values() if h.poll().running]
