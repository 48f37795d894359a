"""BatchGetMetrics: one metric of one trial component, aggregated per step or per time period."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from typing import Any

from sagecraft.services.experiments.components import TrialComponentsService

PERIOD_SECONDS = {"OneMinute": 60, "FiveMinute": 300, "OneHour": 3600}


def _stat(name: str, values: list[float]) -> float:
    if name == "Min":
        return min(values)
    if name == "Max":
        return max(values)
    if name == "Avg":
        return sum(values) / len(values)
    if name == "Count":
        return float(len(values))
    if name == "StdDev":
        return statistics.stdev(values) if len(values) > 1 else 0.0
    return values[-1]  # Last


def answer(components: TrialComponentsService, query: Mapping[str, Any]) -> dict[str, Any]:
    period, axis = query["Period"], query["XAxisType"]
    if axis == "IterationNumber" and period != "IterationNumber":
        return {
            "Status": "ValidationError",
            "Message": "XAxisType IterationNumber needs Period IterationNumber.",
            "XAxisValues": [],
            "MetricValues": [],
        }
    rows = components.metric_points(query["ResourceArn"], query["MetricName"])
    if rows is None:
        return {
            "Status": "ValidationError",
            "Message": f"Resource {query['ResourceArn']} not found.",
            "XAxisValues": [],
            "MetricValues": [],
        }
    start, end = query.get("Start"), query.get("End")
    buckets: dict[int, list[float]] = {}
    for step, timestamp, value in rows:
        if (start is not None and timestamp < start) or (end is not None and timestamp > end):
            continue
        if period == "IterationNumber":
            if step is None:
                continue
            key = int(step)
        else:
            width = PERIOD_SECONDS[period]
            key = int(math.floor(timestamp / width) * width)
        buckets.setdefault(key, []).append(value)
    keys = sorted(buckets)
    return {
        "Status": "Complete",
        "XAxisValues": keys,
        "MetricValues": [_stat(query["MetricStat"], buckets[k]) for k in keys],
    }
