"""One transform job's way through its state machine, on a reconciler thread.

    InProgress: waits for an executor slot → stages the model, code and inputs → runs the transform
    worker as a detached workload (logs shipped live) → uploads the .out files → Completed
    Failed (FailureReason) | Stopping → Stopped

Each step is a compare-and-set from InProgress/Stopping, so a StopTransformJob is always noticed. The
``runtime`` record (phase, workload handle, log offset, files) lets a restarted server re-attach to
a worker still running, or collect the outcome of one that ended while no server ran.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagecraft.core.errors import AwsError
from sagecraft.executors.base import Executor, ExecutorError, Outcome, Reservation, WorkloadHandle
from sagecraft.executors.runtimes import RuntimeRegistry
from sagecraft.services.jobs.staging import StagingError
from sagecraft.services.logs.models import LogScope
from sagecraft.services.logs.service import LogsService
from sagecraft.services.transform import instance
from sagecraft.services.transform import repository as repo
from sagecraft.services.transform.models import LOG_GROUP, TransformJob, TransformStatus
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore

log = logging.getLogger("sagecraft.transform")

CONTROL_SECONDS = 0.5  # how often the database is asked about a stop nobody woke us for
POLL_MIN, POLL_MAX = 0.01, 0.1
MAX_REASON = 1024


@dataclass
class TransformPlatform:
    store: MetadataStore
    objects: ObjectStore
    executor: Executor
    runtimes: Callable[[], RuntimeRegistry]
    logs: LogsService
    root: Path  # instance folders: root/<job id>
    owner: str
    stop_grace_seconds: float = 5.0


class Shutdown(Exception):
    """The server is stopping: leave the job as it is, a restarted server carries on."""


class Ended(Exception):
    """The job reached a terminal state."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


class TransformRun:
    def __init__(self, platform: TransformPlatform, job_id: int, shutdown: threading.Event) -> None:
        self.platform = platform
        self.job_id = job_id
        self.shutdown = shutdown
        self.wake = threading.Event()
        self.job: TransformJob = None  # type: ignore[assignment]  # loaded by run()
        self.handle: WorkloadHandle | None = None
        self.reservation: Reservation | None = None
        self.stopping = False

    @property
    def instance_dir(self) -> Path:
        return self.platform.root / str(self.job_id)

    def run(self) -> None:
        try:
            job = self.reload()
            if job.status.terminal:
                return
            if job.runtime.get("phase") == "running" and job.runtime.get("handle"):
                self._attach()
            else:
                self._abandon_partial_start()
                self._start()
            self._monitor()
            self._conclude()
        except (Shutdown, Ended):
            pass
        except Exception as exc:  # a bug or an unexpected backend failure: the job fails, the server lives
            log.exception("transform job %s failed in the reconciler", self.job_id)
            self._stop_worker()
            self._finish_quietly(TransformStatus.FAILED, f"InternalServerError: {exc}")
        finally:
            if self.reservation is not None:
                self.reservation.release()

    # ---- steps ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        job = self.job
        self.reservation = self.platform.executor.reserve(f"transform-job/{job.name}", 1)
        while not self.reservation.wait(0.5):
            self._check_shutdown()
            if self.reload().status is TransformStatus.STOPPING:
                self._finish(TransformStatus.STOPPED)
        if self.reload().status is TransformStatus.STOPPING:
            self._finish(TransformStatus.STOPPED)
        self._update(TransformStatus.IN_PROGRESS, {"started_at": job.started_at or _now()})
        try:
            registry = self.platform.runtimes()
            runtime = registry.resolve(job.runtime["model"]["Image"])
            prepared = instance.prepare(self.platform.objects, job, runtime, self.instance_dir, registry.resolve)
        except (StagingError, AwsError) as exc:
            self._finish(TransformStatus.FAILED, f"ClientError: {exc}")
        self._check_shutdown()
        try:
            self.handle = self.platform.executor.start(prepared.spec, self.reservation)
        except ExecutorError as exc:
            self._finish(TransformStatus.FAILED, f"InternalServerError: {exc}")
        self.reservation.release()
        stream = f"{job.name}/i-{uuid.uuid4().hex[:17]}"
        # Recorded as "staging" first: a server gone before the inputs are all in place starts over.
        self._save(phase="staging", handle=self.handle.id, stream=stream, offset=0, files=prepared.files)
        try:
            instance.stage_inputs(self.platform.objects, prepared, self.instance_dir, self._keep_staging)
        except StagingError as exc:
            self._finish(TransformStatus.FAILED, f"ClientError: {exc}")
        self._save(phase="running")

    def _keep_staging(self) -> bool:
        self._check_shutdown()
        return self.reload().status is TransformStatus.IN_PROGRESS  # a stop is seen by the monitor next

    def _attach(self) -> None:
        try:
            self.handle = self.platform.executor.attach(self.job.runtime["handle"])
        except ExecutorError as exc:
            self._finish(TransformStatus.FAILED, f"InternalServerError: the job's instance is gone: {exc}")

    def _monitor(self) -> None:
        assert self.handle is not None
        pause, last_control = POLL_MIN, 0.0
        while True:
            if self.shutdown.is_set():
                raise Shutdown()
            self._ship_logs()
            if not self.handle.poll().running:
                break
            now = time.monotonic()
            if not self.stopping and (self.wake.is_set() or now - last_control >= CONTROL_SECONDS):
                self.wake.clear()
                last_control = now
                if self.reload().status is TransformStatus.STOPPING:
                    self.stopping = True
                    self._stop_worker()
                    continue
            self.wake.wait(pause)
            pause = min(POLL_MAX, pause * 1.5)
        self._ship_logs()

    def _conclude(self) -> None:
        assert self.handle is not None
        status = self.handle.poll()
        job = self.reload()
        if self.stopping or job.status is TransformStatus.STOPPING or status.outcome is Outcome.STOPPED:
            self._finish(TransformStatus.STOPPED)
        if status.outcome is not Outcome.COMPLETED:
            reason = instance.failure_reason(self.instance_dir)
            if reason is None:
                tail = " | ".join(self.handle.stderr_tail(5)) or status.message
                reason = f"AlgorithmError: the transform worker {status.message}: {tail}"
            self._finish(TransformStatus.FAILED, reason)
        try:
            instance.upload_outputs(self.platform.objects, job, self.instance_dir, list(job.runtime.get("files") or []))
        except (StagingError, OSError) as exc:
            self._finish(TransformStatus.FAILED, f"ClientError: could not upload the output: {exc}")
        self._finish(TransformStatus.COMPLETED)

    # ---- helpers --------------------------------------------------------------------------------------

    def _ship_logs(self) -> None:
        if self.handle is None:
            return
        offset = int(self.job.runtime.get("offset") or 0)
        while True:
            lines, new_offset = self.handle.read_log(offset)
            if new_offset == offset:
                break
            events = [
                (line.timestamp_ms, line.text.replace("\t", "#011"))
                for line in lines
                if line.stream != "system" and line.text
            ]
            if events:
                self.platform.logs.append(
                    LogScope(self.job.account_id, self.job.region), LOG_GROUP, self.job.runtime["stream"], events
                )
            offset = new_offset
            # Recorded at once: a server killed between shipping and saving would ship the lines again.
            self._save(offset=offset)

    def _stop_worker(self) -> None:
        if self.handle is not None and self.handle.poll().running:
            self.handle.stop(self.platform.stop_grace_seconds)

    def _abandon_partial_start(self) -> None:
        """A worker a crashed server started but never recorded as running: stop it, start over."""
        handle_id = self.job.runtime.get("handle")
        if handle_id:
            try:
                self.platform.executor.attach(handle_id).stop(self.platform.stop_grace_seconds)
            except ExecutorError:
                pass

    def _check_shutdown(self) -> None:
        if self.shutdown.is_set():
            raise Shutdown()

    def reload(self) -> TransformJob:
        with self.platform.store.read() as db:
            job = repo.by_id(db, self.job_id)
        if job is None:
            raise Ended()
        self.job = job
        return job

    def _save(self, **updates: Any) -> None:
        with self.platform.store.write() as db:
            self.job.runtime = repo.merge_runtime(db, self.job_id, updates)

    def _update(self, expected: TransformStatus, values: dict[str, Any]) -> None:
        with self.platform.store.write() as db:
            moved = repo.update(db, self.job_id, expected.value, {**values, "last_modified": _now()})
        if not moved and self.reload().status is TransformStatus.STOPPING:
            self._finish(TransformStatus.STOPPED)

    def _finish(self, status: TransformStatus, reason: str | None = None) -> None:
        """Record the terminal state, clean up, and end this run (raises Ended)."""
        for _attempt in range(10):
            job = self.reload()
            if job.status.terminal:
                break
            now = _now()
            values: dict[str, Any] = {
                "status": status.value,
                "last_modified": now,
                "ended_at": now,
                "runtime": {**job.runtime, "phase": "done"},
            }
            if reason is not None:
                values["failure_reason"] = clip(reason)
            with self.platform.store.write() as db:
                if repo.update(db, self.job_id, job.status.value, values):
                    break
        if self.handle is not None:
            self._stop_worker()  # e.g. still waiting for inputs that will not come
            try:
                self.handle.remove()
            except ExecutorError:
                log.warning("workload %s of transform job %s still runs; left in place", self.handle.id, self.job_id)
        shutil.rmtree(self.instance_dir, ignore_errors=True)
        raise Ended()

    def _finish_quietly(self, status: TransformStatus, reason: str) -> None:
        try:
            self._finish(status, reason)
        except Ended:
            pass
        except Exception:
            log.exception("transform job %s could not be marked %s", self.job_id, status.value)
