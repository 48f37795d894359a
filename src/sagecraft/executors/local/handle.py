"""A local workload seen through its run folder: any server process (the launcher or a later one) can
poll, wait for, stop and read it."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from sagecraft.executors import base
from sagecraft.executors.base import Outcome, WorkloadState, WorkloadStatus
from sagecraft.executors.local import records

POLL_MIN, POLL_MAX = 0.005, 0.05  # wait() polls fast at first (short jobs), never slower than 50 ms
KILL_MARGIN = 5.0  # after the grace, how long the supervisor gets to record the outcome itself


class LocalHandle:
    def __init__(self, run_dir: Path, namespaced: bool) -> None:
        self.run_dir = run_dir
        self.namespaced = namespaced  # the leader is `unshare`, the supervisor its child

    @property
    def id(self) -> str:
        return self.run_dir.name

    @property
    def log_path(self) -> Path:
        return self.run_dir / records.OUTPUT_LOG

    def __repr__(self) -> str:
        return f"LocalHandle({self.id!r})"

    # -- status --

    def poll(self) -> WorkloadStatus:
        status = self._recorded()
        if status is not None:
            return status
        if records.leader_alive(self.run_dir):
            return WorkloadStatus(WorkloadState.RUNNING, started_at=self._started_at())
        status = self._recorded()  # it may have written its record and exited since we looked
        if status is not None:
            return status
        if (self.run_dir / records.STOP).exists():
            return self._record(Outcome.STOPPED, "stopped on request (the supervisor was killed)")
        return self._record(Outcome.LOST, "the workload's supervisor ended without recording an outcome "
                            f"(see {self.run_dir / records.SUPERVISOR_LOG})")

    def alive(self) -> bool:
        return self.poll().running

    def wait(self, timeout: float | None = None) -> WorkloadStatus:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = POLL_MIN
        while True:
            status = self.poll()
            if not status.running:
                return status
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return status
            time.sleep(pause if left is None else min(pause, left))
            pause = min(POLL_MAX, pause * 1.5)

    def stop(self, grace_seconds: float = 10.0) -> WorkloadStatus:
        status = self.poll()
        if not status.running:
            return status
        records.write_stop(self.run_dir, grace_seconds)
        deadline = time.monotonic() + grace_seconds + KILL_MARGIN
        signalled = False
        while time.monotonic() < deadline:
            if not signalled:
                signalled = self._signal_supervisor(signal.SIGTERM)
            status = self.wait(0.05)
            if not status.running:
                return status
        self._kill_leader()
        return self.wait(KILL_MARGIN)

    # -- logs --

    def read_log(self, offset: int = 0) -> tuple[list[base.LogLine], int]:
        return base.read_log(self.log_path, offset)

    def stderr_tail(self, lines: int = 20) -> list[str]:
        return base.log_tail(self.log_path, lines, stream="stderr")

    def remove(self) -> None:
        if self.poll().running:
            raise base.ExecutorError(f"workload {self.id} is still running; stop it before removing it")
        shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- internals --

    def _recorded(self) -> WorkloadStatus | None:
        rec = records.read_kv(self.run_dir / records.EXIT)
        if rec is None:
            return None
        return WorkloadStatus(
            WorkloadState.EXITED, outcome=Outcome(rec.get("outcome") or Outcome.LOST),
            exit_code=_int(rec.get("exit_code")), signal=_int(rec.get("signal")),
            started_at=_float(rec.get("started_at")), ended_at=_float(rec.get("ended_at")),
            message=rec.get("message", ""))

    def _record(self, outcome: Outcome, message: str) -> WorkloadStatus:
        path = self.run_dir / records.EXIT
        if not self.run_dir.is_dir():  # removed (remove()) while a slot pool still polled it: nothing to record
            return WorkloadStatus(WorkloadState.EXITED, outcome=outcome, message=message)
        if not path.exists():
            records.write_kv(path, {"outcome": outcome.value, "exit_code": "", "signal": "", "message": message,
                                    "started_at": self._started_at() or "", "ended_at": f"{time.time():.3f}"})
        return self._recorded() or WorkloadStatus(WorkloadState.EXITED, outcome=outcome, message=message)

    def _started_at(self) -> float | None:
        rec = records.read_kv(self.run_dir / records.STARTED)
        return _float(rec.get("started_at")) if rec else None

    def _supervisor_pid(self) -> int | None:
        leader = records.read_leader(self.run_dir)
        if leader is None or records.proc_start_ticks(leader[0]) != leader[1]:
            return None
        if not self.namespaced:
            return leader[0]
        kids = records.children(leader[0])  # unshare --fork has exactly one child: the supervisor
        return kids[0] if kids else None

    def _signal_supervisor(self, sig: int) -> bool:
        pid = self._supervisor_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        return True

    def _kill_leader(self) -> None:
        """Last resort: SIGKILL the launcher's process group; in namespaces mode the kernel then kills
        everything in the job's pid namespace (unshare --kill-child, then the namespace's init dies)."""
        groups = []
        leader = records.read_leader(self.run_dir)
        if leader is not None and records.proc_start_ticks(leader[0]) == leader[1]:
            groups.append(leader[0])
        started = records.read_kv(self.run_dir / records.STARTED)
        if not self.namespaced and started and started.get("pid"):
            groups.append(int(started["pid"]))  # without namespaces the command has a session of its own
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None
