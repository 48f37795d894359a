"""SQL for experiments, trials, trial components, their links and their metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagecraft.services.experiments.models import Experiment, MetricSummary, Trial, TrialComponent
from sagecraft.storage.metadata.schema import (
    experiment_metric_points,
    experiment_metric_summaries,
    experiment_trial_component_links,
    experiment_trial_components,
    experiment_trials,
    experiments,
)

links = experiment_trial_component_links
TABLES = {"experiment": experiments, "trial": experiment_trials, "component": experiment_trial_components}


def insert_row(db: Connection, kind: str, values: Mapping[str, Any]) -> int:
    return int(db.execute(insert(TABLES[kind]).values(**values)).inserted_primary_key[0])


def update_row(db: Connection, kind: str, row_id: int, values: Mapping[str, Any]) -> None:
    table = TABLES[kind]
    db.execute(update(table).where(table.c.id == row_id).values(**values))


def delete_row(db: Connection, kind: str, row_id: int) -> None:
    table = TABLES[kind]
    db.execute(delete(table).where(table.c.id == row_id))


def experiment(db: Connection, arn: str) -> Experiment | None:
    row = db.execute(select(experiments).where(experiments.c.arn == arn)).first()
    return Experiment.from_row(row) if row else None


def experiments_in(db: Connection, account_id: str, region: str) -> list[Experiment]:
    statement = select(experiments).where(experiments.c.account_id == account_id, experiments.c.region == region)
    return [Experiment.from_row(row) for row in db.execute(statement)]


def _trials(db: Connection, *conditions: Any) -> list[Trial]:
    statement = (
        select(experiment_trials, experiments.c.name.label("experiment_name"))
        .join(experiments, experiments.c.id == experiment_trials.c.experiment_id)
        .where(*conditions)
    )
    return [Trial.from_row(row, row.experiment_name) for row in db.execute(statement)]


def trial(db: Connection, arn: str) -> Trial | None:
    found = _trials(db, experiment_trials.c.arn == arn)
    return found[0] if found else None


def trials_in(db: Connection, account_id: str, region: str) -> list[Trial]:
    return _trials(db, experiment_trials.c.account_id == account_id, experiment_trials.c.region == region)


def trials_of_experiment(db: Connection, experiment_id: int) -> list[Trial]:
    return _trials(db, experiment_trials.c.experiment_id == experiment_id)


def trials_of_component(db: Connection, component_id: int) -> list[Trial]:
    linked = select(links.c.trial_id).where(links.c.component_id == component_id)
    return _trials(db, experiment_trials.c.id.in_(linked))


def component(db: Connection, arn: str) -> TrialComponent | None:
    row = db.execute(select(experiment_trial_components).where(experiment_trial_components.c.arn == arn)).first()
    return TrialComponent.from_row(row) if row else None


def components(
    db: Connection,
    account_id: str,
    region: str,
    *,
    source_arn: str | None = None,
    trial_ids: Iterable[int] | None = None,
) -> list[TrialComponent]:
    table = experiment_trial_components
    statement = select(table).where(table.c.account_id == account_id, table.c.region == region)
    if source_arn is not None:
        statement = statement.where(table.c.source_arn == source_arn)
    if trial_ids is not None:
        statement = statement.where(
            table.c.id.in_(select(links.c.component_id).where(links.c.trial_id.in_(list(trial_ids))))
        )
    return [TrialComponent.from_row(row) for row in db.execute(statement)]


def component_ids_of_trial(db: Connection, trial_id: int) -> list[int]:
    return list(db.execute(select(links.c.component_id).where(links.c.trial_id == trial_id)).scalars())


def link(db: Connection, trial_id: int, component_id: int, values: Mapping[str, Any]) -> bool:
    """Associate; False when they already were."""
    exists = db.execute(
        select(links.c.trial_id).where(links.c.trial_id == trial_id, links.c.component_id == component_id)
    ).first()
    if exists:
        return False
    db.execute(insert(links).values(trial_id=trial_id, component_id=component_id, **values))
    return True


def unlink(db: Connection, trial_id: int, component_id: int) -> bool:
    result = db.execute(delete(links).where(links.c.trial_id == trial_id, links.c.component_id == component_id))
    return result.rowcount == 1


def parents(db: Connection, component_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """Each component's trials and their experiments, as Search's Parents[]."""
    out: dict[int, list[dict[str, str]]] = {cid: [] for cid in component_ids}
    if not component_ids:
        return out
    statement = (
        select(links.c.component_id, experiment_trials.c.name.label("trial"), experiments.c.name.label("experiment"))
        .join(experiment_trials, experiment_trials.c.id == links.c.trial_id)
        .join(experiments, experiments.c.id == experiment_trials.c.experiment_id)
        .where(links.c.component_id.in_(component_ids))
        .order_by(links.c.created_at)
    )
    for row in db.execute(statement):
        out[row.component_id].append({"TrialName": row.trial, "ExperimentName": row.experiment})
    return out


# -- metrics ---------------------------------------------------------------------------------------


def summaries(db: Connection, component_ids: list[int]) -> dict[int, list[MetricSummary]]:
    out: dict[int, list[MetricSummary]] = {cid: [] for cid in component_ids}
    if not component_ids:
        return out
    table = experiment_metric_summaries
    statement = select(table).where(table.c.component_id.in_(component_ids)).order_by(table.c.metric_name)
    for row in db.execute(statement):
        out[row.component_id].append(
            MetricSummary(
                row.metric_name,
                row.count,
                row.total,
                row.total_squares,
                row.minimum,
                row.maximum,
                row.last,
                row.last_timestamp,
            )
        )
    return out


def add_points(db: Connection, component_id: int, points: list[dict[str, Any]]) -> None:
    """Store the points and fold them into their metrics' summaries (in the caller's transaction)."""
    db.execute(insert(experiment_metric_points), [{"component_id": component_id, **p} for p in points])
    current = {s.metric_name: s for s in summaries(db, [component_id])[component_id]}
    touched: set[str] = set()
    fresh: set[str] = set()
    for point in points:
        name, value, timestamp = point["metric_name"], point["value"], point["timestamp"]
        summary = current.get(name)
        if summary is None:
            current[name] = MetricSummary(name, 1, value, value * value, value, value, value, timestamp)
            fresh.add(name)
        else:
            summary.add(value, timestamp)
        touched.add(name)
    table = experiment_metric_summaries
    for name in touched:
        s = current[name]
        values = dict(
            count=s.count,
            total=s.total,
            total_squares=s.total_squares,
            minimum=s.minimum,
            maximum=s.maximum,
            last=s.last,
            last_timestamp=s.last_timestamp,
        )
        if name in fresh:
            db.execute(insert(table).values(component_id=component_id, metric_name=name, **values))
        else:
            db.execute(
                update(table).where(table.c.component_id == component_id, table.c.metric_name == name).values(**values)
            )


def points(db: Connection, component_id: int, metric_name: str) -> list[Any]:
    table = experiment_metric_points
    statement = (
        select(table.c.step, table.c.timestamp, table.c.value)
        .where(table.c.component_id == component_id, table.c.metric_name == metric_name)
        .order_by(table.c.timestamp, table.c.id)
    )
    return list(db.execute(statement))
