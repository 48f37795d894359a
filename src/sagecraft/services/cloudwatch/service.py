"""CloudWatch metrics use-cases, and ``record`` for other capabilities (training job metrics)."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sagecraft.services.cloudwatch import repository as repo
from sagecraft.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from sagecraft.services.cloudwatch.models import (
    PERCENTILE_RE,
    STATISTICS,
    Aggregate,
    Metric,
    MetricScope,
    Sample,
    aggregate,
    aligned_start_ms,
)
from sagecraft.storage.metadata import MetadataStore

MAX_STATISTICS_DATAPOINTS = 1440  # GetMetricStatistics answers at most this many periods
LIST_PAGE = 500  # ListMetrics page size, as AWS
RECENTLY_ACTIVE_MS = 3 * 3_600_000  # RecentlyActive=PT3H
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_ms(value: dt.datetime | int | float) -> int:
    """Epoch milliseconds from an aware (or UTC naive) datetime, or epoch milliseconds as they are."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return round(value.timestamp() * 1000)
    return int(value)


@dataclass(frozen=True)
class MetricDatum:
    """One PutMetricData item: exactly one of value, values (+ counts), statistic set."""

    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    timestamp_ms: int | None = None  # None: now
    value: float | None = None
    values: tuple[float, ...] | None = None
    counts: tuple[float, ...] | None = None
    statistic_set: tuple[float, float, float, float] | None = None  # SampleCount, Sum, Minimum, Maximum
    unit: str | None = None
    storage_resolution: int | None = None


def check_period(period: int, parameter: str = "Period") -> None:
    if period < 1 or (period not in HIGH_RESOLUTION_PERIODS and period % 60):
        raise InvalidParameterValue(f"The parameter {parameter} must be 1, 5, 10, 30, or a multiple of 60.")


def check_statistic(name: str, parameter: str) -> None:
    if name not in STATISTICS and not PERCENTILE_RE.match(name):
        raise InvalidParameterValue(f"The value {name} for parameter {parameter} is not a valid statistic.")


class CloudWatchService:
    def __init__(self, store: MetadataStore, clock: Callable[[], int] = _now_ms) -> None:
        self.store = store
        self.clock = clock  # epoch milliseconds

    # --- writing ---------------------------------------------------------------------------------

    def put_metric_data(self, scope: MetricScope, namespace: str, data: Sequence[MetricDatum]) -> None:
        if namespace.startswith("AWS/"):
            raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid: the AWS/ "
                                        "prefix is reserved for AWS services.")
        now = self.clock()
        series: dict[Metric, list[Sample]] = {}
        for index, datum in enumerate(data, start=1):
            metric = Metric(namespace, datum.name, tuple(sorted(datum.dimensions)))
            if len({k for k, _ in metric.dimensions}) != len(metric.dimensions):
                raise InvalidParameterValue(f"The dimension names of MetricData.member.{index} are not unique.")
            series.setdefault(metric, []).extend(_samples(datum, index, now))
        self._store(scope, series, now)

    def record(self, namespace: str, name: str, dimensions: Mapping[str, str],
               points: Iterable[tuple[dt.datetime | int, float]], *, account_id: str, region: str,
               unit: str | None = None) -> None:
        """Store a metric's points for another capability (no PutMetricData rules: e.g. the jobs
        service's training metrics under /aws/sagemaker/TrainingJobs). Timestamps: datetimes or epoch ms."""
        samples = [Sample.value(to_ms(when), float(value), unit=unit) for when, value in points
                   if math.isfinite(float(value))]
        if samples:
            self._store(MetricScope(account_id, region), {Metric.of(namespace, name, dimensions): samples},
                        self.clock())

    def record_statistics(self, namespace: str, series: Mapping[tuple[str, tuple[tuple[str, str], ...]],
                                                               list[tuple[int, float, float, float, float]]],
                          *, account_id: str, region: str, units: Mapping[str, str] | None = None) -> None:
        """Store statistic sets for another capability in one transaction (e.g. hosting's invocation
        metrics under AWS/SageMaker): {(name, dimensions): [(epoch ms, count, sum, min, max)]}."""
        units = units or {}
        samples = {Metric(namespace, name, tuple(sorted(dims))): [
            Sample(when, count, total, low, high, units.get(name)) for when, count, total, low, high in points]
            for (name, dims), points in series.items() if points}
        if samples:
            self._store(MetricScope(account_id, region), samples, self.clock())

    def _store(self, scope: MetricScope, series: Mapping[Metric, list[Sample]], now: int) -> None:
        with self.store.write() as db:
            for metric, samples in series.items():
                repo.insert_samples(db, repo.ensure_metric(db, scope, metric, now), samples)

    # --- reading ---------------------------------------------------------------------------------

    def statistics(self, scope: MetricScope, metric: Metric, start: dt.datetime, end: dt.datetime, period: int,
                   statistics: Sequence[str], extended: Sequence[str], unit: str | None) -> list[Aggregate]:
        """GetMetricStatistics: one aggregate per period (and unit) that has samples, oldest first."""
        if not statistics and not extended:
            raise MissingParameter("The parameter Statistics or ExtendedStatistics must be specified.")
        for name in statistics:
            check_statistic(name, "Statistics")
        for name in extended:
            if not PERCENTILE_RE.match(name):
                raise InvalidParameterValue(f"The value {name} for parameter ExtendedStatistics is not a valid "
                                            "percentile (p0.0 to p100).")
        check_period(period)
        start_ms, end_ms = self._time_range(start, end, period)
        requested = math.ceil((end_ms - start_ms) / (period * 1000))
        if requested > MAX_STATISTICS_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {requested:,} datapoints, which exceeds the limit of "
                f"{MAX_STATISTICS_DATAPOINTS:,}. You may reduce the datapoints requested by increasing Period, "
                "or decreasing the time range.")
        return self._aggregates(scope, metric, start_ms, end_ms, period, unit, split_units=unit is None)

    def series(self, scope: MetricScope, metric: Metric, start: dt.datetime, end: dt.datetime, period: int,
               stat: str, unit: str | None) -> list[tuple[dt.datetime, float]]:
        """One statistic per period, oldest first (a GetMetricData MetricStat)."""
        start_ms, end_ms = self._time_range(start, end, period)
        out = []
        for item in self._aggregates(scope, metric, start_ms, end_ms, period, unit, split_units=False):
            value = item.statistic(stat)
            if value is not None:
                out.append((item.timestamp, value))
        return out

    def _time_range(self, start: dt.datetime, end: dt.datetime, period: int) -> tuple[int, int]:
        start_ms, end_ms = to_ms(start), to_ms(end)
        if start_ms >= end_ms:
            raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
        return aligned_start_ms(start_ms, period, self.clock()), end_ms

    def _aggregates(self, scope: MetricScope, metric: Metric, start_ms: int, end_ms: int, period: int,
                    unit: str | None, split_units: bool) -> list[Aggregate]:
        with self.store.read() as db:
            found = repo.find_metric(db, scope, metric)
            samples = repo.samples(db, found[0], start_ms, end_ms, unit) if found else []
        return aggregate(samples, start_ms, period, split_units=split_units)

    def list_metrics(self, scope: MetricScope, *, namespace: str | None = None, name: str | None = None,
                     dimension_filters: Sequence[tuple[str, str | None]] = (), recently_active: bool = False,
                     after_id: int = 0) -> tuple[list[Metric], int | None]:
        """A page of metrics and the id to continue after (None on the last page)."""
        active_since = self.clock() - RECENTLY_ACTIVE_MS if recently_active else None
        with self.store.read() as db:
            rows = repo.list_metrics(db, scope, namespace=namespace, name=name, dimension_filters=dimension_filters,
                                     active_since_ms=active_since, after_id=after_id, limit=LIST_PAGE + 1)
        more = len(rows) > LIST_PAGE
        rows = rows[:LIST_PAGE]
        return [metric for _, metric in rows], (rows[-1][0] if more else None)


def _samples(datum: MetricDatum, index: int, now_ms: int) -> list[Sample]:
    where = f"MetricData.member.{index}"
    given = [label for label, present in (("Value", datum.value is not None), ("Values", datum.values is not None),
                                          ("StatisticValues", datum.statistic_set is not None)) if present]
    if len(given) > 1:
        raise InvalidParameterCombination(f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually "
                                          "exclusive and you have specified both.")
    if not given:
        raise MissingParameter(f"At least one of the parameters {where}.Value, {where}.Values or "
                               f"{where}.StatisticValues must be specified.")
    resolution = datum.storage_resolution or 60
    if resolution not in (1, 60):
        raise InvalidParameterValue(f"The value {resolution} for parameter {where}.StorageResolution is invalid: "
                                    "it must be 1 or 60.")
    when = datum.timestamp_ms if datum.timestamp_ms is not None else now_ms
    if datum.value is not None:
        _finite(datum.value, f"{where}.Value")
        return [Sample.value(when, datum.value, unit=datum.unit, storage_resolution=resolution)]
    if datum.values is not None:
        counts = datum.counts if datum.counts is not None else (1.0,) * len(datum.values)
        if len(counts) != len(datum.values):
            raise InvalidParameterValue(f"The parameters {where}.Values and {where}.Counts must be arrays of the "
                                        "same size.")
        out = []
        for value, count in zip(datum.values, counts, strict=True):
            _finite(value, f"{where}.Values")
            if count <= 0 or not math.isfinite(count):
                raise InvalidParameterValue(f"The parameter {where}.Counts must hold positive numbers.")
            out.append(Sample.value(when, value, count, datum.unit, resolution))
        return out
    count, total, low, high = datum.statistic_set  # type: ignore[misc]
    for number, label in ((count, "SampleCount"), (total, "Sum"), (low, "Minimum"), (high, "Maximum")):
        _finite(number, f"{where}.StatisticValues.{label}")
    if count <= 0 or low > high:
        raise InvalidParameterValue(f"The parameter {where}.StatisticValues needs SampleCount > 0 and "
                                    "Minimum <= Maximum.")
    return [Sample(when, count, total, low, high, datum.unit, resolution)]


def _finite(value: float, parameter: str) -> None:
    if not math.isfinite(value):
        raise InvalidParameterValue(f"The value {value} for parameter {parameter} is invalid.")
