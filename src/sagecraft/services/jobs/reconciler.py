"""The reconciler: one thread that finds jobs in progress and gives each a runner thread.

It looks when woken (a job created, stopped or interrupted) and every few seconds otherwise, so
jobs left in progress by a previous server process are picked up at start-up and carried on.
Stopping the reconciler leaves running instances alone: the next server re-attaches to them.
``RunReconciler`` is the loop itself, shared with the transform jobs; ``Reconciler`` runs
training and processing jobs with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from sagecraft.services.jobs import repository as repo
from sagecraft.services.jobs.platform import Platform
from sagecraft.services.jobs.runner import JobRun

SCAN_SECONDS = 5.0
JOIN_SECONDS = 10.0


class Run(Protocol):
    """One job's way to a terminal state, on its own thread."""

    job_id: int
    wake: threading.Event

    def run(self) -> None: ...


class RunReconciler:
    """Gives each job id ``active()`` returns a runner thread (``make_run(job_id, shutdown)``)."""

    def __init__(
        self, name: str, active: Callable[[], list[int]], make_run: Callable[[int, threading.Event], Run]
    ) -> None:
        self.name = name
        self._active = active
        self._make_run = make_run
        self._log = logging.getLogger(f"sagecraft.{name}")
        self._shutdown = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._runs: dict[int, tuple[Run, threading.Thread]] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"{self.name}-reconciler", daemon=True)
        self._thread.start()

    def wake(self, job_id: int | None = None) -> None:
        """A job changed: look now (and nudge its runner, e.g. to notice a stop at once)."""
        with self._lock:
            run = self._runs.get(job_id) if job_id is not None else None
        if run is not None:
            run[0].wake.set()
        self._wake.set()

    def stop(self) -> None:
        self._shutdown.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)
        with self._lock:
            runs = list(self._runs.values())
        for run, thread in runs:
            run.wake.set()
            thread.join(JOIN_SECONDS)

    def _loop(self) -> None:
        while not self._shutdown.is_set():
            try:
                self._scan()
            except Exception:  # e.g. the database briefly unavailable: try again on the next round
                self._log.exception("the %s reconciler could not scan for jobs", self.name)
            self._wake.wait(SCAN_SECONDS)
            self._wake.clear()

    def _scan(self) -> None:
        active = self._active()
        with self._lock:
            for job_id in active:
                current = self._runs.get(job_id)
                if current is not None and current[1].is_alive():
                    continue
                run = self._make_run(job_id, self._shutdown)
                thread = threading.Thread(target=self._run, args=(run,), name=f"{self.name}-{job_id}", daemon=True)
                self._runs[job_id] = (run, thread)
                thread.start()

    def _run(self, run: Run) -> None:
        try:
            run.run()
        finally:
            with self._lock:
                if self._runs.get(run.job_id, (None,))[0] is run:
                    del self._runs[run.job_id]


class Reconciler(RunReconciler):
    """Training and processing jobs."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        super().__init__("jobs", self._active_ids, lambda job_id, shutdown: JobRun(platform, job_id, shutdown))

    def _active_ids(self) -> list[int]:
        with self.platform.store.read() as db:
            return list(repo.active_ids(db, self.platform.owner))
