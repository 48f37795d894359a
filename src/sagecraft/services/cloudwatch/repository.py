"""CloudWatch metrics in the metadata store (SQLAlchemy Core; SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sagecraft.services.cloudwatch.models import Metric, MetricScope, Sample
from sagecraft.storage.metadata.schema import cloudwatch_datapoints as points
from sagecraft.storage.metadata.schema import cloudwatch_metric_dimensions as dims
from sagecraft.storage.metadata.schema import cloudwatch_metrics as metrics

# last_put_ms feeds ListMetrics' RecentlyActive (three hours): refreshing it once a minute is plenty.
LAST_PUT_REFRESH_MS = 60_000


def _insert_ignoring_duplicates(db: Connection, table, rows: list[dict], keys: Sequence[str]) -> None:
    dialect = db.dialect.name
    if dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    elif dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    else:  # pragma: no cover - the store supports these two backends only
        raise ValueError(f"unsupported backend {dialect}")
    db.execute(statement, rows)


def find_metric(db: Connection, scope: MetricScope, metric: Metric) -> tuple[int, int] | None:
    """(id, last_put_ms) of a metric, if it was ever put."""
    row = db.execute(select(metrics.c.id, metrics.c.last_put_ms).where(
        metrics.c.account_id == scope.account_id, metrics.c.region == scope.region,
        metrics.c.series_key == metric.series_key)).first()
    return (row.id, row.last_put_ms) if row else None


def ensure_metric(db: Connection, scope: MetricScope, metric: Metric, now_ms: int) -> int:
    """The id of the metric, created if new (concurrent writers agree through the unique key)."""
    found = find_metric(db, scope, metric)
    if found is None:
        _insert_ignoring_duplicates(db, metrics, [{
            "account_id": scope.account_id, "region": scope.region, "series_key": metric.series_key,
            "namespace": metric.namespace, "metric_name": metric.name, "dimensions": metric.dimension_list(),
            "created_ms": now_ms, "last_put_ms": now_ms,
        }], ("account_id", "region", "series_key"))
        found = find_metric(db, scope, metric)
        assert found is not None
        if metric.dimensions:
            _insert_ignoring_duplicates(db, dims, [{"metric_id": found[0], "name": k, "value": v}
                                                   for k, v in metric.dimensions], ("metric_id", "name"))
    elif now_ms - found[1] > LAST_PUT_REFRESH_MS:
        db.execute(update(metrics).where(metrics.c.id == found[0], metrics.c.last_put_ms < now_ms)
                   .values(last_put_ms=now_ms))
    return found[0]


def insert_samples(db: Connection, metric_id: int, samples: Sequence[Sample]) -> None:
    if samples:
        db.execute(insert(points), [{
            "metric_id": metric_id, "timestamp_ms": s.timestamp_ms, "sample_count": s.sample_count, "sum": s.sum,
            "minimum": s.minimum, "maximum": s.maximum, "unit": s.unit, "storage_resolution": s.storage_resolution,
        } for s in samples])


def samples(db: Connection, metric_id: int, start_ms: int, end_ms: int, unit: str | None = None) -> list[Sample]:
    """The samples in [start_ms, end_ms), oldest first; only those of ``unit`` when given."""
    query = select(points.c.timestamp_ms, points.c.sample_count, points.c.sum, points.c.minimum, points.c.maximum,
                   points.c.unit, points.c.storage_resolution).where(
        points.c.metric_id == metric_id, points.c.timestamp_ms >= start_ms, points.c.timestamp_ms < end_ms)
    if unit is not None:
        query = query.where(points.c.unit == unit) if unit != "None" else query.where(points.c.unit.is_(None))
    rows = db.execute(query.order_by(points.c.timestamp_ms, points.c.id)).all()
    return [Sample(r.timestamp_ms, r.sample_count, r.sum, r.minimum, r.maximum, r.unit, r.storage_resolution)
            for r in rows]


def list_metrics(db: Connection, scope: MetricScope, *, namespace: str | None, name: str | None,
                 dimension_filters: Sequence[tuple[str, str | None]], active_since_ms: int | None,
                 after_id: int, limit: int) -> list[tuple[int, Metric]]:
    """Metrics matching every filter, by id from ``after_id`` (exclusive): the pagination order."""
    query = select(metrics.c.id, metrics.c.namespace, metrics.c.metric_name, metrics.c.dimensions).where(
        metrics.c.account_id == scope.account_id, metrics.c.region == scope.region, metrics.c.id > after_id)
    if namespace is not None:
        query = query.where(metrics.c.namespace == namespace)
    if name is not None:
        query = query.where(metrics.c.metric_name == name)
    if active_since_ms is not None:
        query = query.where(metrics.c.last_put_ms >= active_since_ms)
    for dim_name, dim_value in dimension_filters:
        having = select(dims.c.metric_id).where(dims.c.name == dim_name)
        if dim_value is not None:
            having = having.where(dims.c.value == dim_value)
        query = query.where(metrics.c.id.in_(having))
    rows = db.execute(query.order_by(metrics.c.id).limit(limit)).all()
    return [(r.id, Metric.of(r.namespace, r.metric_name, r.dimensions)) for r in rows]
