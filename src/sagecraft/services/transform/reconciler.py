"""The transform reconciler: one thread that gives each transform job in progress a runner thread,
also the ones a previous server process left running (their workers are re-attached)."""

from __future__ import annotations

import logging
import threading

from sagecraft.services.transform import repository as repo
from sagecraft.services.transform.runner import TransformPlatform, TransformRun

log = logging.getLogger("sagecraft.transform")

SCAN_SECONDS = 5.0
JOIN_SECONDS = 10.0


class TransformReconciler:
    def __init__(self, platform: TransformPlatform) -> None:
        self.platform = platform
        self._shutdown = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._runs: dict[int, tuple[TransformRun, threading.Thread]] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="transform-reconciler", daemon=True)
        self._thread.start()

    def wake(self, job_id: int | None = None) -> None:
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
                log.exception("the transform reconciler could not scan for jobs")
            self._wake.wait(SCAN_SECONDS)
            self._wake.clear()

    def _scan(self) -> None:
        with self.platform.store.read() as db:
            active = repo.active_ids(db, self.platform.owner)
        with self._lock:
            for job_id in active:
                current = self._runs.get(job_id)
                if current is not None and current[1].is_alive():
                    continue
                run = TransformRun(self.platform, job_id, self._shutdown)
                thread = threading.Thread(target=self._run, args=(run,), name=f"transform-{job_id}", daemon=True)
                self._runs[job_id] = (run, thread)
                thread.start()

    def _run(self, run: TransformRun) -> None:
        try:
            run.run()
        finally:
            with self._lock:
                if self._runs.get(run.job_id, (None,))[0] is run:
                    del self._runs[run.job_id]
