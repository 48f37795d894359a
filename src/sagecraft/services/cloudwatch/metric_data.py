"""GetMetricData: MetricStat queries (metric math expressions are refused), paged by datapoints."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sagecraft.services.cloudwatch.errors import InvalidNextToken, ValidationError
from sagecraft.services.cloudwatch.models import PERCENTILE_RE, STATISTICS, Metric, MetricScope
from sagecraft.services.cloudwatch.service import HIGH_RESOLUTION_PERIODS, CloudWatchService

DEFAULT_MAX_DATAPOINTS = 100_800
MAX_QUERIES = 500
_ID_RE = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class MetricQuery:
    id: str
    metric: Metric | None = None  # MetricStat.Metric
    period: int | None = None
    stat: str | None = None
    unit: str | None = None
    expression: str | None = None
    label: str | None = None
    return_data: bool = True


@dataclass
class QueryResult:
    id: str
    label: str
    timestamps: list[dt.datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status_code: str = "Complete"


def _check(queries: Sequence[MetricQuery]) -> None:
    if not queries or len(queries) > MAX_QUERIES:
        raise ValidationError(f"MetricDataQueries must hold between 1 and {MAX_QUERIES} queries.")
    seen: set[str] = set()
    for index, query in enumerate(queries, start=1):
        where = f"MetricDataQueries.member.{index}"
        if not _ID_RE.match(query.id):
            raise ValidationError(f"The value {query.id} for parameter {where}.Id is invalid: it must start with a "
                                  "lowercase letter and hold only letters, numbers and underscores.")
        if query.id in seen:
            raise ValidationError(f"The value {query.id} for parameter {where}.Id is not unique.")
        seen.add(query.id)
        if query.expression is not None:
            raise ValidationError(f"{where}.Expression: Sagecraft does not evaluate metric math or metric insights "
                                  "expressions; query each metric with a MetricStat instead.")
        if query.metric is None:
            raise ValidationError(f"{where} must specify a MetricStat (or an Expression).")
        period = query.period or 0
        if period < 1 or (period not in HIGH_RESOLUTION_PERIODS and period % 60):
            raise ValidationError(f"The value {period} for parameter {where}.MetricStat.Period is invalid: it must "
                                  "be 1, 5, 10, 30, or a multiple of 60.")
        if query.stat not in STATISTICS and not PERCENTILE_RE.match(query.stat or ""):
            raise ValidationError(f"The value {query.stat} for parameter {where}.MetricStat.Stat is not a valid "
                                  "statistic.")
    if not any(q.return_data for q in queries):
        raise ValidationError("At least one of the queries must have ReturnData set to true.")


def encode_token(query_index: int, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([query_index, offset]).encode()).decode()


def decode_token(token: str, query_count: int) -> tuple[int, int]:
    try:
        index, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not (isinstance(index, int) and isinstance(offset, int) and 0 <= index < query_count and offset >= 0):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidNextToken("The service found the NextToken invalid.") from None
    return index, offset


def get_metric_data(service: CloudWatchService, scope: MetricScope, queries: Sequence[MetricQuery],
                    start: dt.datetime, end: dt.datetime, *, scan_by: str = "TimestampDescending",
                    max_datapoints: int | None = None,
                    next_token: str | None = None) -> tuple[list[QueryResult], str | None]:
    """Results for the queries that return data, at most ``max_datapoints`` values in all; a token
    (query, offset) when more remain. Results recomputed each page: no server-side cursor."""
    _check(queries)
    budget = max_datapoints or DEFAULT_MAX_DATAPOINTS
    returned = [q for q in queries if q.return_data]
    first, offset = decode_token(next_token, len(returned)) if next_token else (0, 0)
    results: list[QueryResult] = []
    token = None
    for index in range(first, len(returned)):
        query = returned[index]
        assert query.metric is not None and query.period is not None and query.stat is not None
        points = service.series(scope, query.metric, start, end, query.period, query.stat, query.unit)
        if scan_by != "TimestampAscending":
            points.reverse()
        skip = offset if index == first else 0
        page = points[skip: skip + budget]
        result = QueryResult(query.id, query.label or query.metric.name, [t for t, _ in page], [v for _, v in page])
        budget -= len(page)
        if skip + len(page) < len(points):
            result.status_code = "PartialData"
            token = encode_token(index, skip + len(page))
            results.append(result)
            break
        results.append(result)
        if budget == 0 and index + 1 < len(returned):
            token = encode_token(index + 1, 0)
            break
    return results, token
