"""CloudWatch metrics: metric identities, stored samples, and the statistics computed over them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE_RE = re.compile(r"^p(100(\.0+)?|[0-9]{1,2}(\.[0-9]{1,10})?)$")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class MetricScope:
    account_id: str
    region: str


@dataclass(frozen=True)
class Metric:
    """A metric's identity: namespace, name and its full set of dimensions (sorted by name)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, namespace: str, name: str, dimensions: Mapping[str, str] | Iterable[Mapping[str, str]] = ()) -> Metric:
        """``dimensions`` as a {name: value} mapping or the API's [{"Name", "Value"}] list."""
        pairs = dimensions.items() if isinstance(dimensions, Mapping) else ((d["Name"], d["Value"]) for d in dimensions)
        return cls(namespace, name, tuple(sorted((str(k), str(v)) for k, v in pairs)))

    @property
    def series_key(self) -> str:
        identity = json.dumps([self.namespace, self.name, self.dimensions], separators=(",", ":"))
        return hashlib.sha256(identity.encode()).hexdigest()

    def dimension_list(self) -> list[dict[str, str]]:
        return [{"Name": k, "Value": v} for k, v in self.dimensions]


@dataclass(frozen=True)
class Sample:
    """One stored datapoint: a statistic set (a single value v is count 1, sum = min = max = v)."""

    timestamp_ms: int
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    unit: str | None = None  # None: the unit "None"
    storage_resolution: int = 60

    @classmethod
    def value(cls, timestamp_ms: int, value: float, count: float = 1.0, unit: str | None = None,
              storage_resolution: int = 60) -> Sample:
        return cls(timestamp_ms, count, value * count, value, value, unit, storage_resolution)

    @property
    def exact(self) -> bool:
        """Whether the samples' values are known (percentiles use only these)."""
        return self.minimum == self.maximum


@dataclass
class Aggregate:
    """The samples of one period (and unit): what a Datapoint reports."""

    timestamp_ms: int  # the period's start
    unit: str | None
    sample_count: float = 0.0
    sum: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: list[tuple[float, float]] = field(default_factory=list)  # (value, count) of exact samples
    inexact: bool = False

    def add(self, sample: Sample) -> None:
        self.sample_count += sample.sample_count
        self.sum += sample.sum
        self.minimum = min(self.minimum, sample.minimum)
        self.maximum = max(self.maximum, sample.maximum)
        if sample.exact:
            self.values.append((sample.minimum, sample.sample_count))
        else:
            self.inexact = True

    @property
    def timestamp(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp_ms / 1000, dt.timezone.utc)

    def statistic(self, name: str) -> float | None:
        if name == "SampleCount":
            return self.sample_count
        if name == "Average":
            return self.sum / self.sample_count if self.sample_count else None
        if name == "Sum":
            return self.sum
        if name == "Minimum":
            return self.minimum
        if name == "Maximum":
            return self.maximum
        if PERCENTILE_RE.match(name):
            return self.percentile(float(name[1:]))
        raise ValueError(f"unknown statistic {name}")

    def percentile(self, p: float) -> float | None:
        """Nearest rank over the exact samples; none when a statistic set hides the values."""
        if self.inexact or not self.values:
            return None
        ordered = sorted(self.values)
        rank = p / 100 * sum(count for _, count in ordered)
        seen = 0.0
        for value, count in ordered:
            seen += count
            if seen >= rank:
                return value
        return ordered[-1][0]


def aligned_start_ms(start_ms: int, period: int, now_ms: int) -> int:
    """CloudWatch rounds a query's start down by its age: to the second for high-resolution periods,
    else the minute (< 15 days old), 5 minutes (< 63 days), or the hour."""
    if period < 60:
        step = 1000
    elif now_ms - start_ms < 15 * DAY_MS:
        step = 60_000
    elif now_ms - start_ms < 63 * DAY_MS:
        step = 300_000
    else:
        step = 3_600_000
    return start_ms - start_ms % step


def aggregate(samples: Iterable[Sample], start_ms: int, period: int, split_units: bool = True) -> list[Aggregate]:
    """Samples (already within the query's time range) into periods from ``start_ms``, oldest first;
    one aggregate per unit in a period when ``split_units`` (GetMetricStatistics without Unit)."""
    period_ms = period * 1000
    buckets: dict[tuple[int, str | None], Aggregate] = {}
    for sample in samples:
        bucket = start_ms + (sample.timestamp_ms - start_ms) // period_ms * period_ms
        unit = sample.unit if split_units else None
        aggregate_ = buckets.get((bucket, unit))
        if aggregate_ is None:
            aggregate_ = buckets[(bucket, unit)] = Aggregate(bucket, sample.unit)
        aggregate_.add(sample)
    return [buckets[key] for key in sorted(buckets, key=lambda k: (k[0], k[1] or ""))]
