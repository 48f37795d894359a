"""Trial components: create, describe, list, update, delete; their metrics (BatchPutMetrics).

A component made for a training or processing job (see jobs_link.py) mirrors its job when read:
status, times, hyperparameters and final metrics come from the job as it is now, so nothing has to
follow the job's life."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceNotFound, ValidationException
from sagecraft.services.experiments import repository as repo
from sagecraft.services.experiments.models import TrialComponent, experiments_arn
from sagecraft.services.experiments.service import already_exists, not_found, utcnow
from sagecraft.storage.metadata import MetadataStore

# A job's own view of its component (jobs_link.JobMirror); None when the source is not a job we know.
JobMirror = Callable[[TrialComponent], None]


class TrialComponentsService:
    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        self.mirrors: list[JobMirror] = []  # fill a job-made component from its job (set at composition)

    def create(
        self, account_id: str, region: str, request: Mapping[str, Any], *, source: Mapping[str, str] | None = None
    ) -> TrialComponent:
        name = request["TrialComponentName"]
        arn = experiments_arn("component", region, account_id, name)
        _check_times(request.get("StartTime"), request.get("EndTime"))
        now = self.clock()
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            display_name=request.get("DisplayName"),
            status=request.get("Status"),
            start_time=request.get("StartTime"),
            end_time=request.get("EndTime"),
            parameters=_parameters(request.get("Parameters") or {}),
            input_artifacts=dict(request.get("InputArtifacts") or {}),
            output_artifacts=dict(request.get("OutputArtifacts") or {}),
            metadata_properties=request.get("MetadataProperties"),
            source_arn=(source or {}).get("SourceArn"),
            source_type=(source or {}).get("SourceType"),
            created_at=now,
            last_modified=now,
            tags=list(request.get("Tags") or []),
        )
        try:
            with self.store.write() as db:
                if repo.component(db, arn) is not None:
                    raise already_exists("component", arn)
                repo.insert_row(db, "component", values)
        except IntegrityError:
            raise already_exists("component", arn) from None
        return self.get(account_id, region, name)

    def get(self, account_id: str, region: str, name: str) -> TrialComponent:
        arn = experiments_arn("component", region, account_id, name)
        with self.store.read() as db:
            found = repo.component(db, arn)
            if found is None:
                raise not_found("component", arn)
            return self._complete(db, [found])[0]

    def list(self, account_id: str, region: str, params: Mapping[str, Any]) -> list[TrialComponent]:
        """ListTrialComponents' selection: by experiment, trial or source (one of them), or all."""
        chosen = [key for key in ("ExperimentName", "TrialName", "SourceArn") if params.get(key)]
        if len(chosen) > 1:
            raise ValidationException(
                f"Only one of ExperimentName, TrialName and SourceArn can be given; got {', '.join(chosen)}."
            )
        with self.store.read() as db:
            if params.get("ExperimentName"):
                exp_arn = experiments_arn("experiment", region, account_id, params["ExperimentName"])
                parent = repo.experiment(db, exp_arn)
                if parent is None:
                    raise not_found("experiment", exp_arn)
                trial_ids = [t.id for t in repo.trials_of_experiment(db, parent.id)]
                found = repo.components(db, account_id, region, trial_ids=trial_ids)
            elif params.get("TrialName"):
                trial_arn = experiments_arn("trial", region, account_id, params["TrialName"])
                trial = repo.trial(db, trial_arn)
                if trial is None:
                    raise not_found("trial", trial_arn)
                found = repo.components(db, account_id, region, trial_ids=[trial.id])
            elif params.get("SourceArn"):
                found = repo.components(db, account_id, region, source_arn=_normal_arn(params["SourceArn"]))
            else:
                found = repo.components(db, account_id, region)
            return self._complete(db, found)

    def all(self, account_id: str, region: str) -> list[TrialComponent]:
        with self.store.read() as db:
            return self._complete(db, repo.components(db, account_id, region))

    def update(self, account_id: str, region: str, request: Mapping[str, Any]) -> str:
        arn = experiments_arn("component", region, account_id, request["TrialComponentName"])
        with self.store.read() as db:
            found = repo.component(db, arn)  # as stored: a job-made component's mirrored fields stay out
        if found is None:
            raise not_found("component", arn)
        values: dict[str, Any] = {}
        for key, column in (
            ("DisplayName", "display_name"),
            ("Status", "status"),
            ("StartTime", "start_time"),
            ("EndTime", "end_time"),
        ):
            if key in request:
                values[column] = request[key]
        _check_times(values.get("start_time", found.start_time), values.get("end_time", found.end_time))
        for key, column, current in (
            ("Parameters", "parameters", found.parameters),
            ("InputArtifacts", "input_artifacts", found.input_artifacts),
            ("OutputArtifacts", "output_artifacts", found.output_artifacts),
        ):
            removed = set(request.get(f"{key}ToRemove") or [])
            added = request.get(key) or {}
            both = removed & set(added)
            if both:
                raise ValidationException(f"{key} and {key}ToRemove cannot name the same key: {sorted(both)}")
            if added or removed:
                merged = {k: v for k, v in current.items() if k not in removed}
                merged.update(_parameters(added) if key == "Parameters" else added)
                values[column] = merged
        with self.store.write() as db:
            repo.update_row(db, "component", found.id, {**values, "last_modified": self.clock()})
        return found.arn

    def delete(self, account_id: str, region: str, name: str) -> str:
        arn = experiments_arn("component", region, account_id, name)
        with self.store.write() as db:
            found = repo.component(db, arn)
            if found is None:
                raise not_found("component", arn)
            if repo.trials_of_component(db, found.id):
                raise ValidationException(f"TrialComponent '{arn}' is associated with a trial: disassociate it first.")
            repo.delete_row(db, "component", found.id)
        return arn

    # -- metrics ---------------------------------------------------------------------------------------

    def put_metrics(
        self, account_id: str, region: str, name: str, data: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """BatchPutMetrics: store the valid points; answer one error per rejected point (its index)."""
        arn = experiments_arn("component", region, account_id, name)
        errors: list[dict[str, Any]] = []
        accepted: list[dict[str, Any]] = []
        for index, item in enumerate(data):
            if _metric_problem(item):
                errors.append({"Code": "VALIDATION_ERROR", "MetricIndex": index})
                continue
            accepted.append(
                {
                    "metric_name": item["MetricName"],
                    "step": item.get("Step"),
                    "timestamp": _epoch(item["Timestamp"]),
                    "value": float(item["Value"]),
                }
            )
        with self.store.write() as db:
            found = repo.component(db, arn)
            if found is None:
                raise ResourceNotFound(f"TrialComponent '{arn}' does not exist.")
            if accepted:
                repo.add_points(db, found.id, accepted)
                repo.update_row(db, "component", found.id, {"last_modified": self.clock()})
        return errors

    def metric_points(self, component_arn: str, metric_name: str) -> list[Any] | None:
        """(step, timestamp, value) rows of one metric, oldest first; None when the component is unknown."""
        with self.store.read() as db:
            found = repo.component(db, _normal_arn(component_arn))
            return None if found is None else repo.points(db, found.id, metric_name)

    # -- reading ---------------------------------------------------------------------------------------

    def _complete(self, db: Any, found: list[TrialComponent]) -> list[TrialComponent]:
        ids = [c.id for c in found]
        metrics, parents = repo.summaries(db, ids), repo.parents(db, ids)
        for item in found:
            item.metrics = [s.wire(item.arn) for s in metrics[item.id]]
            item.parents = parents[item.id]
            if item.source_arn:
                for mirror in self.mirrors:
                    mirror(item)
        return found


def _parameters(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, value in values.items():
        if "NumberValue" in value and "StringValue" in value:
            raise ValidationException(f"Parameter {key} must have exactly one of NumberValue and StringValue.")
        if "NumberValue" in value and not math.isfinite(float(value["NumberValue"])):
            raise ValidationException(f"Parameter {key} must be a finite number.")
        out[key] = dict(value)
    return out


def _check_times(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationException("EndTime must not be earlier than StartTime.")


def _metric_problem(item: Mapping[str, Any]) -> str | None:
    try:
        value = float(item["Value"])
        _epoch(item["Timestamp"])
    except (KeyError, TypeError, ValueError):
        return "invalid"
    return None if math.isfinite(value) and item.get("MetricName") else "invalid"


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp()
    return float(value)


def _normal_arn(arn: str) -> str:
    head, sep, resource = arn.rpartition(":")
    return f"{head}{sep}{resource.lower()}"
