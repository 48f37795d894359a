"""LocalExecutor: each workload a detached, supervised subprocess in its own Linux namespaces.

Process tree of one workload (isolation "namespaces", the default; needs root or CAP_SYS_ADMIN):

    server ──Popen(new session)──▶ unshare --mount --uts --pid --fork --kill-child --mount-proc [--net]
                                      └─▶ supervisor.py (pid 1 of the job's namespaces) ─▶ the command

The server does not wait on it: a restarted server finds the run folder (records.py), the outcome
the supervisor recorded there, or the still-running supervisor to signal. Killing unshare or the
supervisor kills the whole namespace, so a stopped job leaves no process behind.

Isolation "none" (SAGECRAFT_EXECUTOR_ISOLATION=none) is for machines where unshare is not
permitted: the supervisor runs the command in a session of its own, /opt/ml is NOT private —
occurrences of /opt/ml in argv, environment and working dir are rewritten to the instance folder,
so scripts that build /opt/ml paths themselves will not find their files — and network isolation
is refused.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sagecraft.executors import base
from sagecraft.executors.base import ExecutorUnavailable, UnknownWorkload, WorkloadSpec
from sagecraft.executors.capacity import DEFAULT_SLOTS, SlotPool, SlotReservation
from sagecraft.executors.local import records
from sagecraft.executors.local.handle import LocalHandle

SUPERVISOR = Path(__file__).with_name("supervisor.py")
Isolation = Literal["namespaces", "none"]
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# /opt/ml at the start of a value or after a separator, as a whole path component
_ML_PATH = re.compile(r"(?<![^\s=:,;\"'\[({])" + re.escape(base.CONTAINER_ML_ROOT) + r"(?=$|[/\s:,;\"'\])}])")


@dataclass(frozen=True)
class LocalExecutorConfig:
    root: Path  # run folders live in root/runs
    slots: int = DEFAULT_SLOTS
    isolation: Isolation = "namespaces"
    python: str = field(default_factory=lambda: sys.executable)  # runs the supervisor (stdlib only)
    unshare: str = "unshare"

    def __post_init__(self) -> None:
        if self.isolation not in ("namespaces", "none"):
            raise ValueError(f"SAGECRAFT_EXECUTOR_ISOLATION must be 'namespaces' or 'none', not {self.isolation!r}")
        if self.slots < 1:
            raise ValueError(f"SAGECRAFT_EXECUTOR_SLOTS must be at least 1, not {self.slots}")

    @classmethod
    def from_env(cls, home: Path, environ: dict[str, str] | None = None) -> LocalExecutorConfig:
        env = os.environ if environ is None else environ
        try:
            slots = int(env.get("SAGECRAFT_EXECUTOR_SLOTS") or DEFAULT_SLOTS)
        except ValueError as exc:
            raise ValueError(f"SAGECRAFT_EXECUTOR_SLOTS must be an integer: {exc}") from exc
        isolation = env.get("SAGECRAFT_EXECUTOR_ISOLATION") or "namespaces"
        return cls(root=Path(home) / "executor", slots=slots, isolation=isolation)  # type: ignore[arg-type]


class LocalExecutor:
    def __init__(self, config: LocalExecutorConfig) -> None:
        self.config = config
        self.runs = config.root / "runs"
        self.runs.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.slots = SlotPool(config.slots)
        self._lock = threading.Lock()
        self._checked = False
        for handle in self._scan():  # workloads of a previous server process still hold their slots
            self.slots.occupy(handle.id, handle.alive)

    @property
    def namespaced(self) -> bool:
        return self.config.isolation == "namespaces"

    # -- the protocol --

    def reserve(self, owner: str, instances: int = 1) -> SlotReservation:
        return self.slots.reserve(owner, instances)

    def start(self, spec: WorkloadSpec, reservation: SlotReservation | None = None) -> LocalHandle:
        self.check()
        if spec.network_isolation and not self.namespaced:
            raise ExecutorUnavailable(
                "network isolation needs a network namespace, and SAGECRAFT_EXECUTOR_ISOLATION is 'none' here")
        own = reservation is None
        if reservation is None:
            reservation = self.slots.reserve(spec.job_name, 1)
            reservation.wait()
        try:
            handle = self._launch(spec)
            reservation.take(handle.id, handle.alive)
        finally:
            if own:
                reservation.release()
        return handle

    def attach(self, handle_id: str) -> LocalHandle:
        if not _RUN_ID.match(handle_id) or not (self.runs / handle_id / records.SPEC).exists():
            raise UnknownWorkload(f"no local workload {handle_id!r} under {self.runs}")
        return LocalHandle(self.runs / handle_id, self.namespaced)

    def running(self) -> list[LocalHandle]:
        return [h for h in self._scan() if h.poll().running]

    def check(self) -> None:
        """Fail early, saying what to change, if this machine cannot run isolated workloads."""
        if self._checked:
            return
        with self._lock:
            if not self._checked:
                if self.namespaced:
                    _probe_namespaces(self.config.unshare)
                self._checked = True

    # -- internals --

    def _scan(self) -> list[LocalHandle]:
        found = []
        for run_dir in sorted(self.runs.iterdir()):
            if (run_dir / records.SPEC).exists() and not (run_dir / records.EXIT).exists():
                found.append(LocalHandle(run_dir, self.namespaced))
        return found

    def _launch(self, spec: WorkloadSpec) -> LocalHandle:
        instance_dir = spec.instance_dir.resolve()
        instance_dir.mkdir(parents=True, exist_ok=True)
        run_dir = self.runs / f"{spec.job_name}-{spec.current_host}-{secrets.token_hex(4)}"
        (run_dir / records.LAUNCH_DIR).mkdir(parents=True, mode=0o700)
        argv, env, cwd = list(spec.argv), dict(spec.environment), spec.working_dir
        if not self.namespaced:
            rewrite = _rewriter(instance_dir)
            argv, cwd = [rewrite(a) for a in argv], rewrite(cwd)
            env = {k: rewrite(v) for k, v in env.items()}
        launch = run_dir / records.LAUNCH_DIR
        records.write_nul(launch / "argv", argv)
        records.write_nul(launch / "env", [f"{k}={v}" for k, v in env.items()])
        records.write_kv(launch / "config", {
            "isolation": self.config.isolation, "instance_dir": instance_dir, "cwd": cwd,
            "hostname": spec.current_host, "hosts_file": _hosts_file(run_dir, spec.hosts),
            "network": "none" if spec.network_isolation else "host",
            "max_runtime": spec.max_runtime_seconds or "", "grace": spec.stop_grace_seconds,
        })
        command = [self.config.python, "-S", "-E", str(SUPERVISOR), str(run_dir)]
        if self.namespaced:
            flags = ["--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc"]
            command = [self.config.unshare, *flags, *(["--net"] if spec.network_isolation else []), "--", *command]
        with open(run_dir / records.SUPERVISOR_LOG, "ab") as out:
            process = subprocess.Popen(
                command, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,  # detached: survives the server, not in its group
                env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C.UTF-8"})
        ticks = records.proc_start_ticks(process.pid, zombie_ok=True)
        (run_dir / records.LEADER).write_text(f"{process.pid} {ticks or 0}\n")
        (run_dir / records.SPEC).write_text(_json(spec.to_dict()))  # last: a run is visible once it has one
        # Reap it the moment it ends (no zombie while this server lives); the outcome is in the run folder.
        threading.Thread(target=process.wait, name=f"reap-{run_dir.name}", daemon=True).start()
        return LocalHandle(run_dir, self.namespaced)


def _hosts_file(run_dir: Path, hosts: tuple[str, ...]) -> str:
    """/etc/hosts for the job: the machine's, plus every instance name on loopback (distributed
    jobs rendezvous there)."""
    try:
        original = Path("/etc/hosts").read_text()
    except OSError:
        original = "127.0.0.1\tlocalhost\n"
    path = run_dir / "hosts"
    path.write_text(original.rstrip("\n") + "\n127.0.0.1\t" + " ".join(hosts) + "\n")
    path.chmod(0o644)
    return str(path)


def _rewriter(instance_dir: Path):
    target = str(instance_dir)
    return lambda value: _ML_PATH.sub(lambda _m: target, value)


def _json(data: dict) -> str:
    import json  # lazily: keeps importing the executor light

    return json.dumps(data, indent=2, sort_keys=True)


_PROBED: dict[str, str] = {}


def _probe_namespaces(unshare: str) -> None:
    """Run the exact unshare flags once (and make the /opt/ml mountpoint) or explain what to change."""
    if unshare not in _PROBED:
        error = ""
        try:
            os.makedirs(base.CONTAINER_ML_ROOT, exist_ok=True)
            done = subprocess.run(
                [unshare, "--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc", "--net",
                 "mount", "-n", "--bind", base.CONTAINER_ML_ROOT, base.CONTAINER_ML_ROOT],
                capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                error = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            error = str(exc)
        _PROBED[unshare] = error
    if _PROBED[unshare]:
        raise ExecutorUnavailable(
            "the local executor runs each job instance in its own Linux namespaces (util-linux `unshare`, "
            f"mount + pid + net, and a bind mount on {base.CONTAINER_ML_ROOT}), which failed here: "
            f"{_PROBED[unshare]}. Run the server as root (or with CAP_SYS_ADMIN), or set "
            "SAGECRAFT_EXECUTOR_ISOLATION=none to run jobs without isolation (no private /opt/ml: /opt/ml "
            "paths in the command, environment and working dir are rewritten to the instance folder; "
            "EnableNetworkIsolation is refused).")
