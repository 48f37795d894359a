"""The running metric summary trial components report (Min, Max, Avg, StdDev, Last, Count)."""

from __future__ import annotations

import math
import statistics

from sagecraft.services.experiments.models import MetricSummary


def summary_of(points: list[tuple[float, float]]) -> dict:
    (value, stamp), rest = points[0], points[1:]
    summary = MetricSummary("loss", 1, value, value * value, value, value, value, stamp)
    for value, stamp in rest:
        summary.add(value, stamp)
    return summary.wire("arn:tc")


def test_statistics_match_the_points():
    values = [0.9, 0.5, 0.3, 0.4]
    wire = summary_of([(v, 100.0 + i) for i, v in enumerate(values)])
    assert (wire["Min"], wire["Max"], wire["Last"], wire["Count"]) == (0.3, 0.9, 0.4, 4)
    assert math.isclose(wire["Avg"], statistics.mean(values))
    assert math.isclose(wire["StdDev"], statistics.stdev(values))
    assert wire["TimeStamp"].timestamp() == 103.0 and wire["SourceArn"] == "arn:tc"


def test_a_late_older_point_is_not_last_and_one_point_has_no_spread():
    wire = summary_of([(0.5, 200.0), (0.7, 150.0)])
    assert wire["Last"] == 0.5 and wire["TimeStamp"].timestamp() == 200.0
    assert summary_of([(0.5, 1.0)])["StdDev"] == 0.0
