"""Starting and following the work of one step: job steps through the SageMaker control plane
(Create* with a generated name, then Describe*), and the steps the engine evaluates itself."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from sagecraft.core.errors import AwsError
from sagecraft.services.pipelines import expressions
from sagecraft.services.pipelines.definition import StepDef
from sagecraft.services.pipelines.kinds import JOB_DONE, KINDS, StepKind
from sagecraft.services.pipelines.ports import SageMakerApi

_RANDOM = string.ascii_lowercase + string.digits
_TOKEN = string.ascii_letters + string.digits
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


def job_name(execution_id: str, step: str, limit: int) -> str:
    """``pipelines-<execid>-<StepName>-<rand>`` as SageMaker names them, shortened to the name limit."""
    rand = "".join(secrets.choice(_RANDOM) for _ in range(10))
    cleaned = _NOT_NAME.sub("-", step).strip("-") or "step"
    name = f"pipelines-{execution_id}-{cleaned}-{rand}"
    if len(name) > limit:
        room = limit - len(f"pipelines-{execution_id}--{rand}")
        name = (
            f"pipelines-{execution_id}-{cleaned[:room].strip('-')}-{rand}"
            if room >= 1
            else f"{execution_id}-{cleaned[: max(1, limit - 24)].strip('-')}-{rand}"
        )
    return re.sub("-+", "-", name)[:limit].rstrip("-")


def plain(value: Any) -> Any:
    """A Describe* output as JSON values (timestamps as ISO 8601 text)."""
    return json.loads(
        json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.datetime | dt.date) else str(v))
    )


@dataclass
class Outcome:
    """What one launch or poll decided for a step."""

    status: str  # StepStatus value
    job: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] | None = None
    failure_reason: str | None = None
    call_error: Exception | None = None  # a Create* call that failed (for the retry policies)


def job_request(kind: StepKind, arguments: dict[str, Any], name: str) -> dict[str, Any]:
    request = dict(arguments)
    if kind.name_field:
        request[kind.name_field] = name
    return request


def create(
    api: SageMakerApi, account_id: str, region: str, kind: StepKind, request: dict[str, Any], job: dict[str, Any]
) -> Outcome:
    """Call Create*; a synchronous kind (Model, RegisterModel) is done once its Describe* answers."""
    try:
        created = api.call(account_id, region, kind.create, request)
    except AwsError as error:
        if "already exist" in error.message and kind.name_field:  # created before a restart: follow it
            return poll(api, account_id, region, kind, {**job, "created": True})
        return Outcome("Failed", job, failure_reason=f"{error.code}: {error.message}", call_error=error)
    except Exception as error:  # a fault inside Sagecraft fails the step, not the engine
        return Outcome("Failed", job, failure_reason=f"InternalFailure: {error}", call_error=error)
    arn = created.get(kind.arn_field) or job.get("arn")
    job = {**job, "arn": arn, "created": True}
    metadata = {kind.metadata_key: {kind.arn_member: arn}}
    if kind.status_field is not None:
        return Outcome("Executing", job, metadata)
    return poll(api, account_id, region, kind, job)


def poll(api: SageMakerApi, account_id: str, region: str, kind: StepKind, job: dict[str, Any]) -> Outcome:
    key = job["arn"] if kind.uses_arn else job["name"]
    metadata = {kind.metadata_key: {kind.arn_member: job.get("arn")}}
    try:
        described = plain(api.call(account_id, region, kind.describe, {kind.describe_key: key}))
    except AwsError as error:
        if error.status >= 500 or "Throttl" in error.code:  # e.g. a busy database: the job still runs
            return Outcome("Executing", job, metadata)
        return Outcome("Failed", job, metadata, failure_reason=f"{error.code}: {error.message}", call_error=error)
    if not job.get("arn") and described.get(kind.arn_field):  # created before a restart: learn its ARN
        job = {**job, "arn": described[kind.arn_field]}
        metadata = {kind.metadata_key: {kind.arn_member: job["arn"]}}
    if kind.status_field is None:
        return Outcome("Succeeded", job, metadata, properties=described)
    state = JOB_DONE.get(described.get(kind.status_field, ""))
    if state is None:
        return Outcome("Executing", job, metadata)
    reason = described.get("FailureReason") if state == "Failed" else None
    if kind.step_type == "Tuning" and state == "Succeeded":
        try:
            described["TrainingJobSummaries"] = _best_first(api, account_id, region, job["name"], described)
        except AwsError as error:
            return Outcome("Failed", job, metadata, failure_reason=f"{error.code}: {error.message}")
    return Outcome(state, job, metadata, properties=described, failure_reason=reason)


def _best_first(api: SageMakerApi, account_id: str, region: str, name: str, described: dict) -> list[dict]:
    """A Tuning step's TrainingJobSummaries property: its trials, best objective first (what the
    SDK's ``get_top_model_s3_uri(top_k)`` indexes)."""
    objective = (described.get("HyperParameterTuningJobConfig") or {}).get("HyperParameterTuningJobObjective") or {}
    order = "Ascending" if objective.get("Type") == "Minimize" else "Descending"
    summaries: list[dict] = []
    token = None
    while True:
        params = {
            "HyperParameterTuningJobName": name,
            "SortBy": "FinalObjectiveMetricValue",
            "SortOrder": order,
            "MaxResults": 100,
            **({"NextToken": token} if token else {}),
        }
        page = api.call(account_id, region, "ListTrainingJobsForHyperParameterTuningJob", params)
        summaries += plain(page.get("TrainingJobSummaries") or [])
        token = page.get("NextToken")
        if not token:
            return summaries


def stop(api: SageMakerApi, account_id: str, region: str, kind: StepKind, job: dict[str, Any]) -> None:
    if kind.stop and job.get("created"):
        try:
            api.call(account_id, region, kind.stop, {kind.describe_key: job["name"]})
        except AwsError:
            pass  # it ended meanwhile


def evaluate_internal(step: StepDef, resolver: expressions.Resolver, execution_id: str) -> Outcome:
    """Condition, Fail and Callback steps: decided here, without any job."""
    if step.step_type == "Condition":
        outcome = all(expressions.evaluate(c, resolver) for c in step.arguments.get("Conditions") or [])
        shown = "True" if outcome else "False"
        return Outcome("Succeeded", metadata={"Condition": {"Outcome": shown}}, properties={"Outcome": shown})
    if step.step_type == "Fail":
        message = expressions.to_text(resolver.resolve(step.arguments.get("ErrorMessage", "")))
        return Outcome("Failed", metadata={"Fail": {"ErrorMessage": message}}, failure_reason=message)
    # Callback: wait for SendPipelineExecutionStepSuccess/Failure with this token. Sagecraft has no SQS:
    # the token is shown in the step's Metadata (ListPipelineExecutionSteps) instead of being sent.
    token = "".join(secrets.choice(_TOKEN) for _ in range(10))  # the API allows exactly 10
    queue = resolver.resolve(step.arguments.get("SqsQueueUrl"))
    callback = {"CallbackToken": token, **({"SqsQueueUrl": queue} if queue else {})}
    return Outcome("Executing", job={"token": token, "execution": execution_id}, metadata={"Callback": callback})


def kind_of(step: StepDef) -> StepKind | None:
    return KINDS.get(step.step_type)
