"""Pipelines use-cases: pipelines (create/update/describe/delete/list) and executions (start, stop,
retry, callbacks, describe, list). Nothing here runs a step: starting an execution stores it
Executing and wakes the engine (engine.py), which advances it."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core import paging
from sagecraft.core.errors import AwsError, ResourceNotFound, ValidationException
from sagecraft.services.pipelines import definition as definitions
from sagecraft.services.pipelines import repository as repo
from sagecraft.services.pipelines import selective
from sagecraft.services.pipelines.models import (
    Execution,
    ExecutionStatus,
    Pipeline,
    StepRun,
    StepStatus,
    execution_arn,
    pipeline_arn,
)
from sagecraft.services.pipelines.ports import ObjectReader
from sagecraft.storage.metadata import MetadataStore

_ID_ALPHABET = string.ascii_lowercase + string.digits


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PipelinesService:
    def __init__(
        self, store: MetadataStore, objects: ObjectReader, owner: str, clock: Callable[[], dt.datetime] = _utcnow
    ) -> None:
        self.store = store
        self.objects = objects
        self.owner = owner
        self.clock = clock
        self.listeners: list[Callable[[str], None]] = []

    # -- pipelines ------------------------------------------------------------------------------------

    def definition_text(self, params: Mapping[str, Any]) -> str:
        if params.get("PipelineDefinition"):
            text = params["PipelineDefinition"]
        elif params.get("PipelineDefinitionS3Location"):
            location = params["PipelineDefinitionS3Location"]
            uri = f"s3://{location['Bucket']}/{location['ObjectKey']}"
            try:
                text = self.objects.read(uri).decode("utf-8")
            except AwsError as error:
                raise ValidationException(f"Cannot read the pipeline definition at {uri}: {error.message}") from None
        else:
            raise ValidationException("Either PipelineDefinition or PipelineDefinitionS3Location must be given.")
        definitions.parse(text)  # rejects what cannot run
        return text

    def create(self, account_id: str, region: str, params: Mapping[str, Any]) -> Pipeline:
        name = params["PipelineName"]
        arn = pipeline_arn(region, account_id, name)
        text = self.definition_text(params)
        now = self.clock()
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            display_name=params.get("PipelineDisplayName") or name,
            description=params.get("PipelineDescription"),
            role_arn=params.get("RoleArn"),
            definition=text,
            parallelism=params.get("ParallelismConfiguration"),
            created_at=now,
            last_modified=now,
            last_run_at=None,
            tags=list(params.get("Tags") or []),
        )
        try:
            with self.store.write() as db:
                if repo.pipeline_by_arn(db, arn) is not None:
                    raise _exists(name, arn)
                repo.insert_pipeline(db, values)
        except IntegrityError:
            raise _exists(name, arn) from None
        return self.get(account_id, region, name)

    def update(self, account_id: str, region: str, params: Mapping[str, Any]) -> Pipeline:
        pipeline = self.get(account_id, region, params["PipelineName"])
        values: dict[str, Any] = {"last_modified": self.clock()}
        if params.get("PipelineDefinition") or params.get("PipelineDefinitionS3Location"):
            values["definition"] = self.definition_text(params)
        for member, column in (
            ("PipelineDisplayName", "display_name"),
            ("PipelineDescription", "description"),
            ("RoleArn", "role_arn"),
            ("ParallelismConfiguration", "parallelism"),
        ):
            if params.get(member) is not None:
                values[column] = params[member]
        with self.store.write() as db:
            repo.update_pipeline(db, pipeline.arn, values)
        return self.get(account_id, region, pipeline.name)

    def get(self, account_id: str, region: str, name: str) -> Pipeline:
        name = name.rsplit(":pipeline/", 1)[-1] if name.startswith("arn:") else name
        with self.store.read() as db:
            pipeline = repo.pipeline_by_arn(db, pipeline_arn(region, account_id, name))
        if pipeline is None:
            raise ResourceNotFound(f"Pipeline '{pipeline_arn(region, account_id, name)}' does not exist.")
        return pipeline

    def delete(self, account_id: str, region: str, name: str) -> Pipeline:
        pipeline = self.get(account_id, region, name)
        with self.store.write() as db:
            running = [e for e in repo.executions_of(db, pipeline.arn) if not e.status.terminal]
            if running:
                raise ValidationException(
                    f"Pipeline '{pipeline.arn}' has executions in progress "
                    f"({running[0].arn}); stop them before deleting it."
                )
            repo.delete_executions(db, pipeline.arn)
            repo.delete_pipeline(db, pipeline.arn)
        return pipeline

    def list(self, account_id: str, region: str, params: Mapping[str, Any]) -> tuple[list[Pipeline], str | None]:
        with self.store.read() as db:
            found = repo.pipelines_in_region(db, account_id, region)
        prefix = params.get("PipelineNamePrefix") or ""
        found = [p for p in found if p.name.startswith(prefix) and _created_in(p.created_at, params)]
        sort_by = params.get("SortBy") or "CreationTime"
        found.sort(
            key=lambda p: (p.name if sort_by == "Name" else p.created_at, p.id),
            reverse=(params.get("SortOrder") or "Descending") == "Descending",
        )
        return page(found, params, f"pipelines:{sort_by}")

    def by_arn(self, arn: str) -> Pipeline:
        with self.store.read() as db:
            pipeline = repo.pipeline_by_arn(db, arn.lower())
        if pipeline is None:
            raise ResourceNotFound(f"Pipeline '{arn}' does not exist.")
        return pipeline

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        pipeline = self.by_arn(arn)
        merged = {t["Key"]: t for t in pipeline.tags}
        merged.update({t["Key"]: t for t in tags})
        with self.store.write() as db:
            repo.update_pipeline(db, pipeline.arn, {"tags": list(merged.values())})
        return tags

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        pipeline = self.by_arn(arn)
        with self.store.write() as db:
            repo.update_pipeline(db, pipeline.arn, {"tags": [t for t in pipeline.tags if t["Key"] not in keys]})

    # -- executions ---------------------------------------------------------------------------------

    def start(self, account_id: str, region: str, params: Mapping[str, Any]) -> Execution:
        pipeline = self.get(account_id, region, params["PipelineName"])
        token = params.get("ClientRequestToken")
        if token:
            with self.store.read() as db:
                same = [e for e in repo.executions_of(db, pipeline.arn) if e.state.get("token") == token]
            if same:
                return same[0]
        parsed = definitions.parse(pipeline.definition)
        values = definitions.resolve_parameters(parsed, list(params.get("PipelineParameters") or []))
        selection = params.get("SelectiveExecutionConfig")
        reused = self._reused(pipeline, parsed, selection) if selection else []
        shown = [{"Name": n, "Value": _as_text(v)} for n, v in values.items()]
        execution_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        arn = execution_arn(pipeline.arn, execution_id)
        now = self.clock()
        row = dict(
            account_id=account_id,
            region=region,
            pipeline_arn=pipeline.arn,
            arn=arn,
            execution_id=execution_id,
            display_name=params.get("PipelineExecutionDisplayName") or execution_id,
            description=params.get("PipelineExecutionDescription"),
            status=ExecutionStatus.EXECUTING.value,
            failure_reason=None,
            definition=pipeline.definition,
            parameters=shown,
            parallelism=params.get("ParallelismConfiguration") or pipeline.parallelism,
            created_at=now,
            last_modified=now,
            ended_at=None,
            owner=self.owner,
            state={
                "pipeline_name": pipeline.name,
                "token": token,
                "role_arn": pipeline.role_arn,
                **({"selective": selection} if selection else {}),
            },
        )
        with self.store.write() as db:
            repo.insert_execution(db, row)
            for run in reused:  # the selected steps' dependencies keep the source execution's results
                repo.insert_step(db, selective.copied_row(run, arn, selection["SourcePipelineExecutionArn"]))
            repo.update_pipeline(db, pipeline.arn, {"last_run_at": now})
        self._changed(arn)
        return self.execution(arn)

    def _reused(self, pipeline: Pipeline, parsed: definitions.Definition, selection: Mapping[str, Any]) -> list:
        selected = selective.selected_steps(parsed, dict(selection))
        source, source_steps = None, []
        if selection.get("SourcePipelineExecutionArn"):
            source = self.execution(selection["SourcePipelineExecutionArn"])
            selective.check_source(source, pipeline.arn)
            with self.store.read() as db:
                source_steps = repo.steps_of(db, source.arn)
        return selective.reused_steps(parsed, selected, source, source_steps)

    def execution(self, arn: str) -> Execution:
        with self.store.read() as db:
            found = repo.execution_by_arn(db, arn)
        if found is None:
            raise ResourceNotFound(f"Pipeline execution '{arn}' does not exist.")
        return found

    def executions(self, account_id: str, region: str, params: Mapping[str, Any]) -> tuple[list[Execution], str | None]:
        pipeline = self.get(account_id, region, params["PipelineName"])
        with self.store.read() as db:
            found = [e for e in repo.executions_of(db, pipeline.arn) if _created_in(e.created_at, params)]
        descending = (params.get("SortOrder") or "Descending") == "Descending"
        found.sort(key=lambda e: (e.created_at, e.id), reverse=descending)
        return page(found, params, f"executions:{pipeline.arn}")

    def steps(self, arn: str) -> list[StepRun]:
        self.execution(arn)
        with self.store.read() as db:
            return repo.steps_of(db, arn)

    def stop(self, arn: str) -> Execution:
        execution = self.execution(arn)
        if execution.status is ExecutionStatus.EXECUTING:
            with self.store.write() as db:
                repo.update_execution(
                    db,
                    arn,
                    ExecutionStatus.EXECUTING.value,
                    {"status": ExecutionStatus.STOPPING.value, "last_modified": self.clock()},
                )
            self._changed(arn)
        elif execution.status is not ExecutionStatus.STOPPING:
            raise ValidationException(
                f"Pipeline execution '{arn}' is {execution.status.value}: only an executing "
                "pipeline execution can be stopped."
            )
        return self.execution(arn)

    def retry(self, arn: str, parallelism: dict[str, Any] | None) -> Execution:
        execution = self.execution(arn)
        if execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.STOPPED):
            raise ValidationException(
                f"Pipeline execution '{arn}' is {execution.status.value}: only a failed or "
                "stopped pipeline execution can be retried."
            )
        with self.store.write() as db:
            again = [s.id for s in repo.steps_of(db, arn) if s.status is not StepStatus.SUCCEEDED]
            repo.delete_steps(db, again)  # they run again; succeeded steps keep their results
            values: dict[str, Any] = {
                "status": ExecutionStatus.EXECUTING.value,
                "failure_reason": None,
                "ended_at": None,
                "last_modified": self.clock(),
            }
            if parallelism:
                values["parallelism"] = parallelism
            repo.update_execution(db, arn, execution.status.value, values)
        self._changed(arn)
        return self.execution(arn)

    def send_callback(self, token: str, outputs: list[dict[str, str]] | None, failure: str | None) -> str:
        with self.store.write() as db:
            step = repo.step_by_token(db, token)
            if step is None:
                raise ValidationException(f"Callback token '{token}' is not valid.")
            if step.status is not StepStatus.EXECUTING:
                raise ValidationException(
                    f"The step for callback token '{token}' is {step.status.value}: it no longer waits for a callback."
                )
            now = self.clock()
            if failure is None:
                metadata = {"Callback": {**step.metadata.get("Callback", {}), "OutputParameters": outputs or []}}
                values = {
                    "status": StepStatus.SUCCEEDED.value,
                    "ended_at": now,
                    "step_metadata": metadata,
                    "properties": {"OutputParameters": outputs or []},
                }
            else:
                values = {"status": StepStatus.FAILED.value, "ended_at": now, "failure_reason": failure}
            repo.update_step(db, step.id, StepStatus.EXECUTING.value, values)
        self._changed(step.execution_arn)
        return step.execution_arn

    def _changed(self, arn: str) -> None:
        for listener in self.listeners:
            listener(arn)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _created_in(created: dt.datetime, params: Mapping[str, Any]) -> bool:
    after, before = params.get("CreatedAfter"), params.get("CreatedBefore")
    return (after is None or created > after) and (before is None or created < before)


def _exists(name: str, arn: str) -> ValidationException:
    return ValidationException(
        f"Pipeline names must be unique within an AWS account and region. Pipeline with "
        f"name ({name}) already exists ({arn})."
    )


def page(items: list, params: Mapping[str, Any], scope: str) -> tuple[list, str | None]:
    """One page of a pipelines listing (50 by default)."""
    return paging.page(items, params, scope, default_size=50)
