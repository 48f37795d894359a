"""Selective executions (StartPipelineExecution's SelectiveExecutionConfig): only the selected steps
run. The steps they depend on are not run again: their results (properties, Metadata) are copied
from the source execution, and the copies show SelectiveExecutionResult. Steps outside the
selection that depend on a selected step do not run."""

from __future__ import annotations

from typing import Any

from sagecraft.core.errors import ValidationException
from sagecraft.services.pipelines.definition import Definition
from sagecraft.services.pipelines.models import Execution, ExecutionStatus, StepRun, StepStatus

SOURCE_STATUSES = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED)


def _closure(definition: Definition, start: set[str], forward: bool) -> set[str]:
    """Every step upstream (``forward=False``) or downstream of ``start``, without ``start``."""
    edges: dict[str, set[str]] = {name: set() for name in definition.steps}
    for step in definition.steps.values():
        for need in step.needs:
            if forward:
                edges[need].add(step.name)
            else:
                edges[step.name].add(need)
    found: set[str] = set()
    todo = [n for s in start for n in edges[s]]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(edges[name])
    return found


def selected_steps(definition: Definition, config: dict[str, Any]) -> set[str]:
    names = [item.get("StepName") for item in config.get("SelectedSteps") or []]
    if not names:
        raise ValidationException("SelectiveExecutionConfig.SelectedSteps needs at least one step.")
    unknown = sorted(str(n) for n in names if n not in definition.steps)
    if unknown:
        raise ValidationException(f"Selected steps {unknown} are not steps of the pipeline definition.")
    selected = set(names)
    # Every step on a path between two selected steps must be selected too.
    between = _closure(definition, selected, forward=True) & _closure(definition, selected, forward=False)
    missing = sorted(between - selected)
    if missing:
        raise ValidationException(
            f"Selected steps must be connected: also select {missing}, which lie between selected steps."
        )
    return selected


def reused_steps(
    definition: Definition, selected: set[str], source: Execution | None, source_steps: list[StepRun]
) -> list[StepRun]:
    """The source execution's runs of the unselected steps the selection depends on; raises
    ValidationException when one is missing or did not succeed there."""
    upstream = _closure(definition, selected, forward=False) - selected
    if not upstream:
        return []
    if source is None:
        raise ValidationException(
            f"Selected steps depend on {sorted(upstream)}, which are not selected: "
            "give SourcePipelineExecutionArn, an execution whose results they can reuse."
        )
    runs = {run.name: run for run in source_steps}
    # A step of a Condition branch that was not taken never ran: only its gate must be reused then.
    needed = [name for name in sorted(upstream) if name in runs or not _branch_not_taken(definition, name, runs)]
    failed = [name for name in needed if name not in runs or runs[name].status is not StepStatus.SUCCEEDED]
    if failed:
        raise ValidationException(
            f"Selected steps depend on {failed}, which did not succeed in the source execution {source.arn}."
        )
    return [runs[name] for name in needed]


def _branch_not_taken(definition: Definition, name: str, runs: dict[str, StepRun]) -> bool:
    gate = definition.steps[name].gate
    if gate is None or gate[0] not in runs:
        return False
    return runs[gate[0]].properties.get("Outcome") != ("True" if gate[1] else "False")


def runnable(execution: Execution, definition: Definition) -> set[str]:
    """The steps the engine may start: a selective execution's selected steps, else all."""
    selection = execution.state.get("selective")
    return {s["StepName"] for s in selection["SelectedSteps"]} if selection else set(definition.steps)


def check_source(source: Execution, pipeline_arn: str) -> None:
    if source.pipeline_arn != pipeline_arn:
        raise ValidationException(f"The source execution {source.arn} is not an execution of pipeline {pipeline_arn}.")
    if source.status not in SOURCE_STATUSES:
        raise ValidationException(
            f"The source execution {source.arn} is {source.status.value}: it must be Succeeded or Failed."
        )


def copied_row(run: StepRun, execution_arn: str, source_arn: str) -> dict[str, Any]:
    """A reused step in the new execution: Succeeded with the source's results."""
    return dict(
        execution_arn=execution_arn,
        pipeline_arn=run.pipeline_arn,
        name=run.name,
        step_type=run.step_type,
        status=StepStatus.SUCCEEDED.value,
        attempt=run.attempt,
        started_at=run.started_at,
        ended_at=run.ended_at,
        job={**run.job, "selective_source": source_arn},
        step_metadata=run.metadata,
        properties=run.properties,
    )
