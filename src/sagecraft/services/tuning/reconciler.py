"""The tuning reconciler: one thread that advances every tuning job in progress.

Each round, for each active tuning job: read its children through the jobs service, launch trials
up to MaxParallelTrainingJobs (each recorded in the tuning job *before* its training job is created,
so a restart re-creates rather than forgets it), stop children when the job is stopped or a
completion criterion is met, and end the job once no child runs. Jobs left active by a previous
server are picked up at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from sagecraft.core.errors import ClientError, ResourceInUse
from sagecraft.services.jobs.service import JobKind
from sagecraft.services.tuning import definitions, early_stopping, hyperband, requests, strategies, warm_start
from sagecraft.services.tuning import repository as repo
from sagecraft.services.tuning.models import ChildResult, Trial, TuningJob, TuningStatus
from sagecraft.services.tuning.progress import TERMINAL, Progress, final_failure, finish_reason
from sagecraft.services.tuning.service import TuningService

log = logging.getLogger("sagecraft.tuning")

SCAN_SECONDS = 0.5
ENDED_POLL_SECONDS = 0.05  # between full rounds: has a running trial ended? (a few reads, no more)
JOIN_SECONDS = 10.0


class TuningReconciler:
    def __init__(self, service: TuningService) -> None:
        self.service = service
        self._shutdown = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # The running trials seen by the last round: (account, region, name) -> status. The jobs
        # service announces no job's end, so between rounds these few are polled to launch the next
        # trial as soon as one ends rather than up to a whole round later.
        self._running: dict[tuple[str, str, str], str] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tuning-reconciler", daemon=True)
        self._thread.start()

    def wake(self, job_id: int | None = None) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._shutdown.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)

    def _loop(self) -> None:
        while not self._shutdown.is_set():
            try:
                with self.service.store.read() as db:
                    active = repo.active_ids(db, self.service.owner)
                self._running = {}  # refilled by each step: a job that ended or fails adds none
                for job_id in active:
                    if self._shutdown.is_set():
                        break
                    try:
                        self.step(job_id)
                    except Exception:
                        log.exception("could not advance tuning job %s", job_id)
            except Exception:  # e.g. the database briefly unavailable: try again on the next round
                log.exception("the tuning reconciler could not scan for tuning jobs")
            deadline = time.monotonic() + SCAN_SECONDS
            while not self._wake.wait(ENDED_POLL_SECONDS if self._running else SCAN_SECONDS):
                if time.monotonic() >= deadline or self._a_trial_ended():
                    break
            self._wake.clear()

    def _a_trial_ended(self) -> bool:
        for (account_id, region, name), status in list(self._running.items()):
            try:
                if self.service.jobs.get(account_id, region, JobKind.TRAINING, name).status.value != status:
                    return True
            except Exception:  # gone or unreadable: the next round sorts it out
                return True
        return False

    # -- one tuning job -------------------------------------------------------------------------------

    def step(self, job_id: int) -> None:
        job = self.service.get_by_id(job_id)
        if job is None or job.status.terminal:
            return
        progress = Progress(self.service.children(job), job.maximize)
        self._running.update({(job.account_id, job.region, c.name): c.status for c in progress.running
                              if c.status in ("InProgress", "Stopping")})
        self._recreate_missing(job, progress)
        if job.status is TuningStatus.STOPPING:
            self._wind_down(job, progress, TuningStatus.STOPPING, TuningStatus.STOPPED, None)
            return
        elapsed = (self.service.clock() - job.created_at).total_seconds()
        finishing = job.state.get("finishing")
        if finishing is None:
            exhausted = self._exhausted(job)
            finishing = finish_reason(job, progress, elapsed, exhausted)
            if finishing is None:
                if job.config.get("TrainingJobEarlyStoppingType") == "Auto":
                    self._stop_early(job, progress)
                elif job.config["Strategy"] == "Hyperband":
                    self._prune(job, progress)
                self._launch(job, progress)
                return
            extra = {"converged_at": self.service.clock().isoformat()} if finishing == "converged" else {}
            self._save(job, {"state": {**job.state, "finishing": finishing, **extra}})
        final = TuningStatus.STOPPED if finishing == "runtime" else TuningStatus.COMPLETED
        metrics = ", ".join(sorted({d.objective["MetricName"] for d in definitions.of(job.request)}))
        failure = final_failure(progress, metrics) if final is TuningStatus.COMPLETED else None
        self._wind_down(job, progress, TuningStatus.IN_PROGRESS,
                        TuningStatus.FAILED if failure else final, failure)

    def _max_jobs(self, job: TuningJob) -> int:
        strategy = job.config["Strategy"]
        limit = job.limits.get("MaxNumberOfTrainingJobs")
        if strategy == "Grid":
            size = definitions.grid_size(definitions.of(job.request))
            return min(size, limit) if limit else size
        return int(limit)

    def _exhausted(self, job: TuningJob) -> bool:
        return len(job.trials) >= self._max_jobs(job)

    def _launch(self, job: TuningJob, progress: Progress) -> None:
        running = len(progress.running)
        parallel = int(job.limits["MaxParallelTrainingJobs"])
        results = {c.trial.index: c.objective for c in progress.children}
        trials = list(job.trials)
        strategy, found = job.config["Strategy"], definitions.of(job.request)
        seeds: list = warm_start.history(found[0].ranges, job.state)  # warm start has a single definition
        while running < parallel and len(trials) < self._max_jobs(job):
            index = len(trials)
            picked = definitions.pick(strategy, found, index)
            if picked is None:
                break
            definition, position = picked
            # The sampler models the ended trials of the same definition only (its own ranges).
            history = seeds + [(t.internal, results.get(t.index)) for t in trials
                               if t.definition == definition.name and t.index in results
                               and progress.children[t.index].status in TERMINAL]
            seed = int(job.config.get("RandomSeed") or 0)
            suggestion = strategies.suggest(strategy, definition.ranges, seed,
                                            position if strategy == "Grid" else index, job.maximize, history)
            if suggestion is None:
                break
            tuned, internal = suggestion
            trial = Trial(index, f"{job.name}-{index + 1:03d}-{uuid.uuid4().hex[:8]}", tuned, internal,
                          definition.name)
            with self.service.store.write() as db:
                saved = repo.update(db, job.id, TuningStatus.IN_PROGRESS.value,
                                    {"trials": [t.to_dict() for t in [*trials, trial]],
                                     "last_modified": self.service.clock()}, expected_trials=len(trials))
            if not saved:
                return  # stopped meanwhile: the next round sees it
            trials.append(trial)
            job.trials = trials
            self._create_child(job, trial)
            running += 1
        self._snapshot(job)

    def _stop_early(self, job: TuningJob, progress: Progress) -> None:
        already = set(job.state.get("early_stopped") or [])
        self._stop_trials(job, early_stopping.to_stop(progress, already))

    def _prune(self, job: TuningJob, progress: Progress) -> None:
        """Hyperband: record the new epochs' rungs, then stop the trials the pruner dropped."""
        low, high = hyperband.resources(job.request)
        before = job.state.get("hyperband") or {}
        rungs, to_stop = hyperband.decide(progress.children, job.maximize, low, high,
                                          set(job.state.get("early_stopped") or []), before)
        if rungs != before:
            self._save(job, {"state": {**job.state, "hyperband": rungs}})
            if job.state.get("hyperband") != rungs:
                return  # the tuning job changed meanwhile: the next round replays again
        self._stop_trials(job, to_stop)

    def _stop_trials(self, job: TuningJob, to_stop: list[ChildResult]) -> None:
        """Stop trials early (median rule or Hyperband): they end Stopped and their last value counts."""
        already = set(job.state.get("early_stopped") or [])
        for child in to_stop:
            already.add(child.name)  # recorded first: its objective then counts once it has stopped
            self._save(job, {"state": {**job.state, "early_stopped": sorted(already)}})
            if child.name not in (job.state.get("early_stopped") or []):
                return  # the tuning job changed meanwhile: the next round decides again
            try:
                self.service.jobs.stop(job.account_id, job.region, JobKind.TRAINING, child.name)
            except ClientError:
                pass  # it ended meanwhile
            child.status = "Stopping"

    def _create_child(self, job: TuningJob, trial: Trial) -> None:
        request = requests.child_request(job.request, job.arn, trial.name, trial.tuned, trial.definition)
        try:
            self.service.jobs.create(job.account_id, job.region, JobKind.TRAINING, request)
        except ResourceInUse:
            pass  # created before a restart
        except ClientError as error:  # e.g. the output bucket deleted since: the trial fails, tuning goes on
            log.warning("tuning job %s could not create trial %s: %s", job.name, trial.name, error)
            self._save(job, {"state": {**job.state, "rejected": {**job.state.get("rejected", {}),
                                                                  trial.name: str(error)}}})

    def _recreate_missing(self, job: TuningJob, progress: Progress) -> None:
        for child in progress.children:
            if child.status == "Pending" and job.status is TuningStatus.IN_PROGRESS:
                self._create_child(job, child.trial)

    def _wind_down(self, job: TuningJob, progress: Progress, expected: TuningStatus, final: TuningStatus,
                   failure: str | None) -> None:
        """Stop the running children; once none runs, record the final status."""
        live = [c for c in progress.running if c.status != "Pending"]
        pending = {c.name: "The tuning job ended before this training job was created."
                   for c in progress.running if c.status == "Pending"}
        if pending:  # recorded just before a restart, never created
            self._save(job, {"state": {**job.state, "rejected": {**job.state.get("rejected", {}), **pending}}})
        for child in live:
            if child.status == "InProgress":
                try:
                    self.service.jobs.stop(job.account_id, job.region, JobKind.TRAINING, child.name)
                except ClientError:
                    pass  # ended meanwhile
        if live:
            self._snapshot(job)
            return
        # The final status and the counters ListHyperParameterTuningJobs shows go in one write: written
        # apart, a listing between the two showed an ended tuning job with a trial still in progress.
        fresh = self.service.get_by_id(job.id) or job
        counters = Progress(self.service.children(fresh), fresh.maximize).counters()
        now = self.service.clock()
        values: dict[str, Any] = {"status": final.value, "ended_at": now, "last_modified": now,
                                  "failure_reason": failure, "state": {**fresh.state, "counters": counters}}
        with self.service.store.write() as db:
            repo.update(db, job.id, expected.value, values)

    def _snapshot(self, job: TuningJob) -> None:
        """Counters for ListHyperParameterTuningJobs (Describe computes its own)."""
        fresh = self.service.get_by_id(job.id)
        if fresh is None:
            return
        counters = Progress(self.service.children(fresh), fresh.maximize).counters()
        if fresh.state.get("counters") != counters:
            with self.service.store.write() as db:
                repo.update(db, fresh.id, fresh.status.value, {"state": {**fresh.state, "counters": counters}})

    def _save(self, job: TuningJob, values: dict[str, Any]) -> None:
        with self.service.store.write() as db:
            if repo.update(db, job.id, job.status.value, values) and "state" in values:
                job.state = values["state"]
