"""One job's way through its state machine, on a reconciler thread.

    Starting (waits for executor slots) → Downloading (inputs staged) → Training (instances run,
    logs shipped, stop/interrupt/max-wait watched) → Uploading → Completed | Failed | Stopped

Every step is a compare-and-set from InProgress, so a concurrent StopTrainingJob (which moves the
job to Stopping) always wins and is noticed. What a restarted server needs to carry on is kept in
the job's ``runtime`` record: the phase, each instance's workload handle, log stream and offset.
A job found mid-run is re-attached; one found before its instances started starts over.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from sagecraft.core.errors import AwsError
from sagecraft.executors.base import ExecutorError, Outcome, Reservation, WorkloadHandle, WorkloadStatus
from sagecraft.executors.pyenvs import RequirementsError
from sagecraft.services.jobs import instances, outputs
from sagecraft.services.jobs import repository as repo
from sagecraft.services.jobs.checkpoints import CheckpointSync
from sagecraft.services.jobs.logship import LogShipper, stream_name
from sagecraft.services.jobs.models import Job, JobKind, JobStatus, Secondary, add_transition
from sagecraft.services.jobs.platform import Platform
from sagecraft.services.jobs.staging import StagingError
from sagecraft.services.jobs.training_metrics import TrainingMetrics
from sagecraft.services.logs.models import LogScope

log = logging.getLogger("sagecraft.jobs")

CONTROL_SECONDS = 0.5  # how often the database is asked about a stop/interrupt nobody woke us for
SAVE_SECONDS = 1.0  # how often log offsets and metrics are recorded while running
POLL_MIN, POLL_MAX = 0.01, 0.1


class Shutdown(Exception):
    """The server is stopping: leave the job as it is, a restarted server carries on."""


class Ended(Exception):
    """The job reached a terminal state before its instances ran (stopped, failed to stage, …)."""


class JobRun:
    def __init__(self, platform: Platform, job_id: int, shutdown: threading.Event) -> None:
        self.platform = platform
        self.job_id = job_id
        self.shutdown = shutdown
        self.wake = threading.Event()
        self.job: Job = None  # type: ignore[assignment]  # loaded by run()
        self.handles: list[WorkloadHandle] = []
        self.reservation: Reservation | None = None
        self.shipper: LogShipper | None = None
        self.metrics: TrainingMetrics | None = None
        self.checkpoints: list[CheckpointSync] = []
        self.ending: Secondary | None = None  # why we ended the instances ourselves
        self.attempt_started = 0.0

    # ---- the state machine ----------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        except (Shutdown, Ended):
            pass
        except Exception as exc:  # a bug or an unexpected backend failure: the job fails, the server lives
            log.exception("job %s failed in the reconciler", self.job_id)
            self._abort(f"InternalServerError: {exc}")
        finally:
            if self.reservation is not None:
                self.reservation.release()

    def _run(self) -> None:
        job = self.reload()
        if job.status.terminal:
            return
        if job.runtime.get("phase") in ("training", "uploading") and job.runtime.get("instances"):
            self._attach()
        else:
            self._abandon_partial_start()
            self._start()
        statuses = self._monitor()
        while self.ending is Secondary.INTERRUPTED:
            self._restart_after_interruption()
            statuses = self._monitor()
        self._conclude(statuses)

    def _start(self) -> None:
        job = self.reload()
        if job.status is JobStatus.STOPPING:
            self._finish(JobStatus.STOPPED, Secondary.STOPPED)
        if job.secondary_status not in (None, Secondary.STARTING.value):
            self._advance(Secondary.STARTING)
        self._save(phase="starting", instances=[], attempt=int(job.runtime.get("attempt", 0)) + 1)
        self.reservation = self.platform.executor.reserve(f"{job.kind.value}-job/{job.name}", job.instance_count)
        while not self.reservation.wait(0.5):
            self._check_shutdown()
            reason = self._control()  # a stop, or the spot wait limit, ends a job still queued
            if reason is Secondary.STOPPING:
                self._finish(JobStatus.STOPPED, Secondary.STOPPED)
            if reason is Secondary.MAX_WAIT_TIME_EXCEEDED:
                self._finish(JobStatus.STOPPED, reason, failure_reason=outputs.MAX_WAIT_REASON)
        started = job.started_at or self._now()
        self._advance(Secondary.DOWNLOADING, started_at=started)
        self._save(phase="downloading")
        root = self.platform.root / str(job.id)
        epoch = int(time.time())
        streams = [stream_name(job.name, f"algo-{i + 1}", epoch) for i in range(job.instance_count)]
        self.shipper = self._new_shipper()

        def pip_log(line: str) -> None:
            assert self.shipper is not None
            self.shipper.write(streams[0], int(time.time() * 1000), line)

        try:
            runtime = self.platform.runtimes().resolve(job.image)
            specs = instances.prepare(self.platform, job, runtime, root, max_runtime=self._remaining_runtime(),
                                      pip_log=pip_log)
            self.checkpoints = self._checkpoint_syncs([s.instance_dir for s in specs])
            for sync in self.checkpoints:
                sync.download()
        except RequirementsError as exc:
            self._finish(JobStatus.FAILED, Secondary.FAILED,
                         failure_reason=outputs.clip(f"AlgorithmError: InstallRequirementsError: {exc}"))
        except (StagingError, AwsError) as exc:
            self._finish(JobStatus.FAILED, Secondary.FAILED, failure_reason=outputs.clip(f"ClientError: {exc}"))
        except ExecutorError as exc:
            self._finish(JobStatus.FAILED, Secondary.FAILED, failure_reason=outputs.clip(f"InternalServerError: {exc}"))
        records: list[dict[str, Any]] = []
        for spec, stream in zip(specs, streams, strict=True):
            self._check_shutdown()
            try:
                handle = self.platform.executor.start(spec, self.reservation)
            except ExecutorError as exc:
                self._stop_all()
                self._finish(JobStatus.FAILED, Secondary.FAILED, failure_reason=f"InternalServerError: {exc}")
            self.handles.append(handle)
            self.shipper.add(handle, stream)
            records.append({"handle": handle.id, "stream": stream, "offset": 0})
            self._save(instances=records, root=str(root), command=list(specs[0].argv),
                       dirs=[str(s.instance_dir) for s in specs])
        self.reservation.release()
        self.attempt_started = time.time()
        self._save(phase="training", attempt_started=self.attempt_started)
        self._advance(Secondary.TRAINING)

    def _attach(self) -> None:
        """Carry on with instances a previous server process started."""
        job = self.job
        self.shipper = self._new_shipper()
        for record in job.runtime["instances"]:
            try:
                handle = self.platform.executor.attach(record["handle"])
            except ExecutorError as exc:
                self._finish(JobStatus.FAILED, Secondary.FAILED,
                             failure_reason=f"InternalServerError: the job's instance is gone: {exc}")
            self.handles.append(handle)
            self.shipper.add(handle, record["stream"], int(record.get("offset") or 0), resumed=True)
        if self.metrics is not None:
            self.metrics.restore(job.final_metrics, job.runtime.get("objective_values") or ())
        self.attempt_started = float(job.runtime.get("attempt_started") or time.time())
        self.checkpoints = self._checkpoint_syncs(self._dirs())

    def _monitor(self) -> list[WorkloadStatus]:
        """Ship logs and watch the instances until every one has exited."""
        assert self.shipper is not None
        pause, last_control, last_save, last_sync = POLL_MIN, 0.0, time.monotonic(), time.monotonic()
        failed_one = False
        while True:
            if self.shutdown.is_set():
                self._save_progress()
                raise Shutdown()
            self.shipper.pump()
            statuses = [h.poll() for h in self.handles]
            if not any(s.running for s in statuses):
                break
            now = time.monotonic()
            if not failed_one and any(s.outcome not in (None, Outcome.COMPLETED) for s in statuses):
                failed_one = True  # one instance failing fails the job: end the others
                self._stop_all()
            if self.wake.is_set() or now - last_control >= CONTROL_SECONDS:
                self.wake.clear()
                last_control = now
                reason = self._control()
                if reason is not None and self.ending is None:
                    self.ending = reason
                    self._stop_all()
                    continue
            if self.checkpoints and now - last_sync >= self.platform.checkpoint_interval_seconds:
                last_sync = now
                self._sync_checkpoints()
            if now - last_save >= SAVE_SECONDS:
                last_save = now
                self._save_progress()
            self.wake.wait(pause)
            pause = min(POLL_MAX, pause * 1.5)
        self.shipper.pump()
        self._save_progress()
        return statuses

    def _conclude(self, statuses: list[WorkloadStatus]) -> None:
        job = self.reload()
        dirs = self._dirs()
        status, secondary, fields = outputs.conclusion(job, statuses, self.ending, dirs, self.handles)
        if status is not JobStatus.FAILED:
            if status is JobStatus.COMPLETED and job.kind is JobKind.TRAINING:
                self._advance(Secondary.UPLOADING)
            self._save(phase="uploading")
            try:
                self._sync_checkpoints()
                if job.kind is JobKind.TRAINING:
                    outputs.upload_training(self.platform.objects, job, dirs)
                else:
                    outputs.upload_processing(self.platform.objects, job, dirs)
            except StagingError as exc:
                status, secondary = JobStatus.FAILED, Secondary.FAILED
                fields["failure_reason"] = outputs.clip(f"ClientError: {exc}")
        self._finish(status, secondary, **fields)

    # ---- interruptions (managed spot training) ------------------------------------------------------

    def _restart_after_interruption(self) -> None:
        self._sync_checkpoints()
        trained = float(self.job.runtime.get("trained_seconds") or 0) + max(0.0, time.time() - self.attempt_started)
        self._advance(Secondary.INTERRUPTED)
        self._advance(Secondary.RESTARTING)
        for handle in self.handles:
            handle.remove()
        self.handles, self.ending = [], None
        with self.platform.store.write() as db:
            repo.merge_runtime(db, self.job_id, {"trained_seconds": trained, "instances": [], "phase": "starting"},
                               remove=("interrupt_requested",))
        self._start()

    # ---- control --------------------------------------------------------------------------------------

    def _control(self) -> Secondary | None:
        """Why the instances must end now, if they must: a stop, a spot interruption, the spot wait limit."""
        job = self.reload()
        if job.status is JobStatus.STOPPING:
            return Secondary.STOPPING
        if job.runtime.get("interrupt_requested"):
            return Secondary.INTERRUPTED
        wait = job.stopping_condition.get("MaxWaitTimeInSeconds")
        if job.spot and wait and (self._now() - job.created_at).total_seconds() > float(wait):
            return Secondary.MAX_WAIT_TIME_EXCEEDED
        return None

    def _stop_all(self) -> None:
        grace = self.platform.stop_grace_seconds
        threads = [threading.Thread(target=h.stop, args=(grace,), daemon=True) for h in self.handles
                   if h.poll().running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _check_shutdown(self) -> None:
        if self.shutdown.is_set():
            raise Shutdown()

    def _remaining_runtime(self) -> float | None:
        limit = self.job.stopping_condition.get("MaxRuntimeInSeconds")
        if not limit:
            return None
        return max(1.0, float(limit) - float(self.job.runtime.get("trained_seconds") or 0))

    # ---- persistence ----------------------------------------------------------------------------------

    def reload(self) -> Job:
        with self.platform.store.read() as db:
            job = repo.by_id(db, self.job_id)
        if job is None:
            raise Ended()
        self.job = job
        if self.metrics is None:
            self.metrics = TrainingMetrics.of(job, self.platform.metrics)
        return job

    def _save(self, **updates: Any) -> None:
        with self.platform.store.write() as db:
            self.job.runtime = repo.merge_runtime(db, self.job_id, updates)

    def _save_progress(self) -> None:
        if self.shipper is None:
            return
        records = [dict(r, offset=o) for r, o in zip(self.job.runtime.get("instances") or [],
                                                      self.shipper.offsets(), strict=False)]
        updates: dict[str, Any] = {"instances": records, **(self.metrics.runtime_record() if self.metrics else {})}
        with self.platform.store.write() as db:
            self.job.runtime = repo.merge_runtime(db, self.job_id, updates)
            if self.metrics is not None:
                repo.set_final_metrics(db, self.job_id, self.metrics.final())

    def _advance(self, secondary: Secondary, **values: Any) -> None:
        """A step taken only while the job is InProgress; a job Stopping meanwhile ends as Stopped."""
        now = self._now()
        if self.job.kind is JobKind.TRAINING:
            values.update(secondary_status=secondary.value,
                          transitions=add_transition(self.job.transitions, secondary, now.timestamp()))
        values["last_modified"] = now
        with self.platform.store.write() as db:
            moved = repo.update(db, self.job_id, JobStatus.IN_PROGRESS.value, values)
        if not moved:
            job = self.reload()
            if job.status is JobStatus.STOPPING and not self.handles:
                self._finish(JobStatus.STOPPED, Secondary.STOPPED)
            return
        self.job.transitions = values.get("transitions", self.job.transitions)
        self.job.secondary_status = values.get("secondary_status", self.job.secondary_status)

    def _finish(self, status: JobStatus, secondary: Secondary, **values: Any) -> None:
        """Record the terminal state, clean up, and end this run (raises Ended)."""
        for _attempt in range(10):
            job = self.reload()
            if job.status.terminal:
                break
            now = self._now()
            started = job.started_at or now
            record: dict[str, Any] = {"status": status.value, "last_modified": now, "ended_at": now,
                                      "runtime": {**job.runtime, "phase": "done"}, **values}
            if job.started_at is not None:
                trained = float(job.runtime.get("trained_seconds") or 0)
                if self.attempt_started:
                    trained += max(0.0, time.time() - self.attempt_started)
                record["billable_seconds"] = max(1, round(trained or (now - started).total_seconds()))
            if job.kind is JobKind.TRAINING:
                record["secondary_status"] = secondary.value
                record["transitions"] = add_transition(job.transitions, secondary, now.timestamp())
                record["model_artifacts"] = outputs.model_artifacts_uri(job)
                if self.metrics is not None:
                    record["final_metrics"] = self.metrics.final()
                    record["runtime"].update(self.metrics.runtime_record())
            with self.platform.store.write() as db:
                if repo.update(db, self.job_id, job.status.value, record):
                    break
        self._cleanup()
        raise Ended()

    def _abort(self, reason: str) -> None:
        try:
            self._stop_all()
            self._finish(JobStatus.FAILED, Secondary.FAILED, failure_reason=outputs.clip(reason))
        except Ended:
            pass
        except Exception:
            log.exception("job %s could not be marked Failed", self.job_id)

    def _cleanup(self) -> None:
        for handle in self.handles:
            try:
                handle.remove()
            except ExecutorError:
                log.warning("workload %s of job %s still runs; left in place", handle.id, self.job_id)
        shutil.rmtree(self.platform.root / str(self.job_id), ignore_errors=True)

    # ---- helpers --------------------------------------------------------------------------------------

    def _abandon_partial_start(self) -> None:
        """Instances a crashed server started but never saw running: stop them, start over."""
        for record in self.job.runtime.get("instances") or []:
            try:
                self.platform.executor.attach(record["handle"]).stop(self.platform.stop_grace_seconds)
            except ExecutorError:
                pass

    def _new_shipper(self) -> LogShipper:
        job = self.job
        return LogShipper(self.platform.logs, LogScope(job.account_id, job.region), job.kind,
                          self.metrics.feed if self.metrics is not None else None)

    def _checkpoint_syncs(self, dirs: list[Path]) -> list[CheckpointSync]:
        config = self.job.request.get("CheckpointConfig")
        if not config or not dirs:
            return []
        # Every instance syncs with the same prefix, as on SageMaker; the first one is enough to resume.
        return [CheckpointSync(self.platform.objects, config["S3Uri"], instances.checkpoint_folder(self.job, d))
                for d in dirs[:1]]

    def _sync_checkpoints(self) -> None:
        for sync in self.checkpoints:
            try:
                sync.upload_changed()
            except StagingError as exc:
                log.warning("checkpoint upload of job %s failed: %s", self.job.name, exc)

    def _dirs(self) -> list[Path]:
        return [Path(d) for d in self.job.runtime.get("dirs") or []]

    @staticmethod
    def _now() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)
