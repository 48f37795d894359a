"""The pipelines engine: one thread that advances every execution in progress.

Each round, for each active execution: follow the steps whose work runs (Describe*), retry those
a RetryPolicy allows, then start every step whose dependencies succeeded (and whose Condition
chose its branch), up to MaxParallelExecutionSteps, and end the execution once nothing runs or
can start. A step's row is written *before* its job is created, with the generated name, so a
restarted server re-creates rather than forgets it; jobs themselves outlive the server."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import AwsError
from sagecraft.services.pipelines import clarify, expressions, policies, quality, selective, steps
from sagecraft.services.pipelines import definition as definitions
from sagecraft.services.pipelines import repository as repo
from sagecraft.services.pipelines.definition import Definition, StepDef
from sagecraft.services.pipelines.expressions import ExpressionError, PropertyFileRef, Resolver
from sagecraft.services.pipelines.models import Execution, ExecutionStatus, StepRun, StepStatus
from sagecraft.services.pipelines.ports import SageMakerApi
from sagecraft.services.pipelines.service import PipelinesService

log = logging.getLogger("sagecraft.pipelines")

SCAN_SECONDS = 0.05  # how soon a finished job is noticed (the jobs service does not notify)
IDLE_SECONDS = 5.0  # with no execution running: Start, Stop, Retry and callbacks wake the engine anyway
JOIN_SECONDS = 10.0
CREATE_WORKERS = 8
ACTIVE_STEPS = (StepStatus.STARTING, StepStatus.EXECUTING, StepStatus.STOPPING)
CHECKS = {"QualityCheck": quality, "ClarifyCheck": clarify}  # check steps: prepare, metadata, conclude


class PipelineEngine:
    def __init__(self, service: PipelinesService, api: SageMakerApi) -> None:
        self.service = service
        self.api = api
        self._definitions: dict[str, Definition] = {}
        self._shutdown = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=CREATE_WORKERS, thread_name_prefix="pipelines-create")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pipelines-engine", daemon=True)
        self._thread.start()

    def wake(self, _arn: str | None = None) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._shutdown.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._shutdown.is_set():
            self._wake.clear()
            active: list[str] = []
            try:
                with self.service.store.read() as db:
                    active = repo.active_executions(db, self.service.owner)
                for arn in active:
                    if self._shutdown.is_set():
                        break
                    try:
                        self.advance(arn)
                    except Exception:
                        log.exception("could not advance pipeline execution %s", arn)
            except Exception:  # e.g. the database briefly unavailable: try again on the next round
                log.exception("the pipelines engine could not scan for executions")
            self._wake.wait(SCAN_SECONDS if active else IDLE_SECONDS)

    # -- one execution --------------------------------------------------------------------------------

    def advance(self, arn: str) -> None:
        execution = self.service.execution(arn)
        if execution.status.terminal:
            self._definitions.pop(arn, None)
            return
        definition = self._definitions.get(arn)
        if definition is None:
            definition = self._definitions[arn] = definitions.parse(execution.definition)
        with self.service.store.read() as db:
            runs = {run.name: run for run in repo.steps_of(db, arn)}
        resolver = self._resolver(execution, definition, runs)
        stopping = execution.status is ExecutionStatus.STOPPING
        following = [r for r in runs.values() if r.status in ACTIVE_STEPS]  # followed side by side
        for run in self._pool.map(
            lambda r: self._follow(execution, definition.steps[r.name], r, resolver, stopping), following
        ):
            runs[run.name] = run
        active = [r for r in runs.values() if r.status in ACTIVE_STEPS]
        failed = [r for r in runs.values() if r.status is StepStatus.FAILED]
        if stopping:
            if not active:
                self._finish(execution, ExecutionStatus.STOPPED, None)
            return
        if failed:
            if not active:
                self._finish(execution, ExecutionStatus.FAILED, _failure(definition, failed[0]))
            return
        round_started = self.service.clock()
        room = execution.max_parallel - len(active)
        allowed = selective.runnable(execution, definition)
        progressed = True
        while progressed and room > 0:  # a step decided at once (condition, cache hit) may free others
            progressed = False
            for step in definition.steps.values():
                if room <= 0:
                    break
                if step.name in runs or step.name not in allowed or not _ready(step, runs):
                    continue
                run = self._launch(execution, step, resolver)
                if run is None:
                    continue
                runs[step.name] = run
                if run.status in ACTIVE_STEPS:
                    room -= 1
                else:
                    progressed = True
        # Create* calls of the steps just recorded run side by side: parallel branches start together.
        pending = [
            r
            for r in runs.values()
            if r.status is StepStatus.EXECUTING and r.job and not r.job.get("created") and r.started_at >= round_started
        ]
        for run in self._pool.map(lambda r: self._create(execution, definition.steps[r.name], r), pending):
            runs[run.name] = run
        if not any(r.status in ACTIVE_STEPS for r in runs.values()):
            failed = [r for r in runs.values() if r.status is StepStatus.FAILED]
            if failed:
                self._finish(execution, ExecutionStatus.FAILED, _failure(definition, failed[0]))
            elif not any(_ready(definition.steps[n], runs) for n in allowed if n not in runs):
                self._finish(execution, ExecutionStatus.SUCCEEDED, None)

    def _launch(self, execution: Execution, step: StepDef, resolver: Resolver) -> StepRun | None:
        now = self.service.clock()
        row: dict[str, Any] = dict(
            execution_arn=execution.arn,
            pipeline_arn=execution.pipeline_arn,
            name=step.name,
            step_type=step.step_type,
            status=StepStatus.STARTING.value,
            attempt=1,
            started_at=now,
            job={},
            step_metadata={},
            properties={},
        )
        kind = steps.kind_of(step)
        try:
            if kind is None:
                outcome = steps.evaluate_internal(step, resolver, execution.execution_id)
            else:
                arguments = resolver.resolve(step.arguments)
                if step.cache_enabled:
                    row["cache_key"] = self._cache_key(step, resolver)
                    cached = self._cached(execution, step, row["cache_key"], now)
                    if cached is not None:
                        return self._insert(row | cached)
                row["job"] = self._job(execution, step, arguments, resolver)
                outcome = None
        except (ExpressionError, AwsError) as error:
            return self._insert(
                row
                | {
                    "status": StepStatus.FAILED.value,
                    "ended_at": now,
                    "failure_reason": f"{getattr(error, 'message', None) or error}",
                }
            )
        if outcome is not None:
            return self._insert(row | self._values(outcome, now) | {"callback_token": outcome.job.get("token")})
        return self._insert(row | {"status": StepStatus.EXECUTING.value})  # advance() then creates its job

    def _job(self, execution: Execution, step: StepDef, arguments: dict[str, Any], resolver: Resolver) -> dict:
        """A job to create: its generated name and request (a check step's with its baseline)."""
        kind = steps.kind_of(step)
        assert kind is not None
        job: dict[str, Any] = {
            "name": steps.job_name(execution.execution_id, step.name, kind.name_limit),
            "arguments": arguments,
            "created": False,
        }
        if step.step_type in CHECKS:
            check = resolver.resolve(step.check)
            args = (self.api, execution.account_id, execution.region, step.name, arguments, check)
            job["arguments"], job["check"] = CHECKS[step.step_type].prepare(*args)
        return job

    def _create(self, execution: Execution, step: StepDef, run: StepRun) -> StepRun:
        kind = steps.kind_of(step)
        assert kind is not None
        request = steps.job_request(kind, run.job["arguments"], run.job["name"])
        outcome = steps.create(self.api, execution.account_id, execution.region, kind, request, run.job)
        return self._record(execution, step, run, outcome)

    def _follow(self, execution: Execution, step: StepDef, run: StepRun, resolver: Resolver, stopping: bool) -> StepRun:
        kind = steps.kind_of(step)
        now = self.service.clock()
        if run.status is StepStatus.STARTING:  # waiting to retry
            if stopping:
                return self._update(run, {"status": StepStatus.STOPPED.value, "ended_at": now})
            if run.retry_at is not None and run.retry_at > now:
                return run
            try:
                job = self._job(execution, step, resolver.resolve(step.arguments), resolver)
            except (ExpressionError, AwsError) as error:
                reason = getattr(error, "message", None) or str(error)
                return self._update(run, {"status": StepStatus.FAILED.value, "ended_at": now, "failure_reason": reason})
            run = self._update(run, {"status": StepStatus.EXECUTING.value, "job": job, "retry_at": None})
            return self._create(execution, step, run)
        if kind is None:  # a callback waiting for its token
            if stopping:
                return self._update(run, {"status": StepStatus.STOPPED.value, "ended_at": now})
            return run
        if not run.job.get("created"):  # the server stopped between recording and creating it
            return self._create(execution, step, run)
        if stopping and run.status is StepStatus.EXECUTING:
            steps.stop(self.api, execution.account_id, execution.region, kind, run.job)
            run = self._update(run, {"status": StepStatus.STOPPING.value})
        outcome = steps.poll(self.api, execution.account_id, execution.region, kind, run.job)
        if outcome.status == StepStatus.EXECUTING.value:
            return run
        return self._record(execution, step, run, outcome)

    def _record(self, execution: Execution, step: StepDef, run: StepRun, outcome: Any) -> StepRun:
        now = self.service.clock()
        check = (outcome.job or run.job).get("check")
        if check is not None:  # a check step: its own metadata, and the check once its job completed
            arn, checker = (outcome.job or run.job).get("arn"), CHECKS[check.get("step_type", "QualityCheck")]
            outcome.metadata = checker.metadata(check, arn)
            if outcome.status == StepStatus.SUCCEEDED.value:
                outcome.status, outcome.metadata, outcome.properties, outcome.failure_reason = checker.conclude(
                    check, arn, self.service.objects.read
                )
        if outcome.status == StepStatus.FAILED.value:
            failure_type = (
                policies.call_failure_type(outcome.call_error)
                if outcome.call_error is not None
                else policies.job_failure_type(outcome.failure_reason)
            )
            delay = policies.retry_delay(step.retry_policies, failure_type, run.attempt, run.started_at, now)
            if delay is not None and execution.status is ExecutionStatus.EXECUTING:
                log.info("step %s of %s failed (%s): retrying in %.1f s", step.name, execution.arn, failure_type, delay)
                return self._update(
                    run,
                    {
                        "status": StepStatus.STARTING.value,
                        "attempt": run.attempt + 1,
                        "retry_at": now + dt.timedelta(seconds=delay),
                        "failure_reason": outcome.failure_reason,
                        "job": outcome.job,
                    },
                )
        if outcome.status == StepStatus.EXECUTING.value:
            return self._update(run, {"job": outcome.job, "step_metadata": outcome.metadata})
        return self._update(run, self._values(outcome, now) | {"job": outcome.job or run.job})

    @staticmethod
    def _values(outcome: Any, now: dt.datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": outcome.status,
            "step_metadata": outcome.metadata,
            "failure_reason": outcome.failure_reason,
            "properties": outcome.properties or {},
        }
        if outcome.status in ("Succeeded", "Failed", "Stopped"):
            values["ended_at"] = now
        return values

    # -- caching ------------------------------------------------------------------------------------

    def _cache_key(self, step: StepDef, resolver: Resolver) -> str:
        symbolic = Resolver(
            resolver.parameters,
            resolver.execution,
            resolver.step_properties,
            resolver.read_json,
            resolver.read_uri,
            symbolic=True,
        )
        arguments = symbolic.resolve(step.arguments)
        if step.check:  # a QualityCheck's flags and baselines change what it decides
            arguments = {"Arguments": arguments, "Check": symbolic.resolve(step.check)}
        return policies.cache_key(step.step_type, arguments, step.property_files)

    def _cached(self, execution: Execution, step: StepDef, key: str, now: dt.datetime) -> dict[str, Any] | None:
        window = policies.expire_after((step.cache or {}).get("ExpireAfter"))
        since = now - window if window is not None else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        with self.service.store.read() as db:
            source = repo.cached_step(db, execution.pipeline_arn, key, since)
        if source is None:
            return None
        origin = source.cache_source or source.execution_arn
        return {
            "status": StepStatus.SUCCEEDED.value,
            "ended_at": now,
            "job": source.job,
            "step_metadata": source.metadata,
            "properties": source.properties,
            "cache_source": origin,
        }

    # -- the resolver of one execution ------------------------------------------------------------------

    def _resolver(self, execution: Execution, definition: Definition, runs: dict[str, StepRun]) -> Resolver:
        values = {p["Name"]: p["Value"] for p in execution.parameters}
        typed = {
            name: definitions.cast_parameter(spec, values.get(name, spec.get("DefaultValue")))
            for name, spec in definition.parameters.items()
            if name in values or "DefaultValue" in spec
        }
        variables: dict[str, Any] = {
            "PipelineExecutionId": execution.execution_id,
            "PipelineName": execution.pipeline_name,
            "PipelineExecutionArn": execution.arn,
            "StartDateTime": execution.created_at.isoformat(),
            "CurrentDateTime": lambda: self.service.clock().isoformat(),
        }

        def properties(name: str) -> dict[str, Any]:
            run = runs.get(name)
            if run is None or run.status is not StepStatus.SUCCEEDED:
                raise ExpressionError(f"Step '{name}' has not succeeded: its properties are not available.")
            return run.properties

        def read_uri(uri: str) -> bytes:
            try:
                return self.service.objects.read(uri)
            except AwsError as error:
                raise ExpressionError(f"Cannot read {uri}: {error.message}") from None

        def read_json(ref: PropertyFileRef) -> Any:
            step = definition.steps[ref.step]
            spec = next(f for f in step.property_files if f.get("PropertyFileName") == ref.name)
            outputs = properties(ref.step).get("ProcessingOutputConfig", {}).get("Outputs", [])
            prefix = expressions.walk(outputs, [spec["OutputName"], "S3Output", "S3Uri"], f"PropertyFile {ref.name}")
            uri = f"{prefix.rstrip('/')}/{spec['FilePath'].lstrip('/')}"
            try:
                return json.loads(read_uri(uri))
            except ValueError as error:
                raise ExpressionError(f"PropertyFile {ref.name} ({uri}) is not JSON: {error}") from None

        return Resolver(typed, variables, properties, read_json, read_uri)

    # -- rows -----------------------------------------------------------------------------------------

    def _insert(self, values: dict[str, Any]) -> StepRun | None:
        try:
            with self.service.store.write() as db:
                repo.insert_step(db, values)
        except IntegrityError:
            return None  # another round recorded it first
        return self._reload(values["execution_arn"], values["name"])

    def _update(self, run: StepRun, values: dict[str, Any]) -> StepRun:
        with self.service.store.write() as db:
            repo.update_step(db, run.id, run.status.value, values)
        return self._reload(run.execution_arn, run.name) or run

    def _reload(self, execution_arn: str, name: str) -> StepRun | None:
        with self.service.store.read() as db:
            return repo.step_named(db, execution_arn, name)

    def _finish(self, execution: Execution, status: ExecutionStatus, reason: str | None) -> None:
        now = self.service.clock()
        with self.service.store.write() as db:
            repo.update_execution(
                db,
                execution.arn,
                execution.status.value,
                {"status": status.value, "failure_reason": reason, "ended_at": now, "last_modified": now},
            )
        self._definitions.pop(execution.arn, None)


def _ready(step: StepDef, runs: dict[str, StepRun]) -> bool:
    for need in step.needs:
        run = runs.get(need)
        if run is None or run.status is not StepStatus.SUCCEEDED:
            return False
    if step.gate is not None:
        condition, branch = step.gate
        outcome = runs[condition].properties.get("Outcome")
        return outcome == ("True" if branch else "False")
    return True


def _failure(definition: Definition, run: StepRun) -> str:
    if definition.steps[run.name].step_type == "Fail":
        return run.failure_reason or ""
    return f"Step failure: {run.name} failed: {run.failure_reason or 'no reason given'}"
