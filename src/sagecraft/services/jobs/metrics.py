"""Training metrics from log lines: built-in metric definitions and the regex collector.

SageMaker applies each ``MetricDefinitions`` regex to the job's log as CloudWatch stores it, where
a TAB reads ``#011`` (the syslog escape): the built-in XGBoost definitions match
``[12]#011train-logloss:0.1#011validation-auc:0.98``. The collector matches lines in that form
(tabs converted, whether or not the log forwarder already did), falling back to the raw line so a
regex written for real tabs matches too. The first capture group is the value.

The jobs service uses it like this::

    definitions = request_definitions or builtin_metric_definitions(image_uri)
    collector = MetricCollector(definitions)
    for line in new_log_lines:                       # incrementally, as the log is tailed
        for point in collector.feed(line.text, line.timestamp_ms):
            ...                                      # or batch them and record per metric:
    record_points(cloudwatch_service, collector.drain(), job_name=…, account_id=…, region=…)
    final = collector.final_metric_data_list()       # DescribeTrainingJob.FinalMetricDataList

Pure: no I/O, no imports from other capabilities (``record_points`` takes any object with the
CloudWatch service's ``record`` signature).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

TRAINING_NAMESPACE = "/aws/sagemaker/TrainingJobs"
TRAINING_DIMENSION = "TrainingJobName"
SYSLOG_TAB = "#011"
MAX_DEFINITIONS = 40  # AlgorithmSpecification.MetricDefinitions holds at most 40 (botocore model)

# The number pattern of the regexes SageMaker publishes for its built-in algorithms.
NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"

# Metrics the built-in XGBoost image reports, in the order its definitions are listed (train: and
# validation: each, 40 definitions in all: the API's limit). The xgboost evaluation metrics plus the
# container's own (accuracy, f1, precision, recall, r2, mse).
XGBOOST_METRICS = (
    "rmse", "mae", "mse", "r2", "logloss", "error", "auc", "aucpr", "merror", "mlogloss",
    "accuracy", "f1", "f1_binary", "precision", "recall", "ndcg", "map",
    "poisson-nloglik", "gamma-nloglik", "tweedie-nloglik",
)
# Repositories (image names without registry or tag) whose built-in algorithm is XGBoost.
XGBOOST_REPOSITORIES = ("sagemaker-xgboost", "xgboost")


def xgboost_regex(channel: str, metric: str) -> str:
    return rf".*\[[0-9]+\].*{SYSLOG_TAB}{channel}-{re.escape(metric)}:{NUMBER}.*"


def builtin_metric_definitions(image_uri: str) -> list[dict[str, str]]:
    """The MetricDefinitions SageMaker fills in for a built-in algorithm image ([] for other images).

    Only call it for jobs that run the image's algorithm (no ``sagemaker_program``): script-mode jobs
    report only the definitions their request carries, as on SageMaker.
    """
    if _repository(image_uri) not in XGBOOST_REPOSITORIES:
        return []
    return [{"Name": f"{channel}:{metric}", "Regex": xgboost_regex(channel, metric)}
            for metric in XGBOOST_METRICS for channel in ("train", "validation")]


def _repository(image_uri: str) -> str:
    name = image_uri.strip().split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest
    return name


def validate_metric_definitions(definitions: Sequence[Mapping[str, str]]) -> None:
    """Raise ValueError (its message fit for a ValidationException) if a regex cannot be used."""
    for definition in definitions:
        name, regex = definition.get("Name"), definition.get("Regex")
        if not name or not regex:
            raise ValueError("Each MetricDefinition needs a Name and a Regex.")
        try:
            compiled = re.compile(regex)
        except re.error as error:
            raise ValueError(f"The Regex of metric {name!r} is not a valid regular expression: {error}.") from None
        if compiled.groups < 1:
            raise ValueError(f"The Regex of metric {name!r} must capture the metric value in a group.")


@dataclass(frozen=True)
class MetricPoint:
    name: str
    value: float
    timestamp: dt.datetime  # aware UTC

    @property
    def timestamp_ms(self) -> int:
        return int(self.timestamp.timestamp() * 1000)


def _as_datetime(timestamp: dt.datetime | int | float) -> dt.datetime:
    if isinstance(timestamp, dt.datetime):
        return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromtimestamp(timestamp / 1000, dt.timezone.utc)  # epoch milliseconds


class MetricCollector:
    """Applies metric definitions to log lines fed in order; remembers each metric's last value."""

    def __init__(self, definitions: Sequence[Mapping[str, str]]) -> None:
        validate_metric_definitions(definitions)
        self.definitions = [(d["Name"], re.compile(d["Regex"])) for d in definitions]
        self._last: dict[str, MetricPoint] = {}
        self._pending: list[MetricPoint] = []

    def feed(self, line: str, timestamp: dt.datetime | int | float) -> list[MetricPoint]:
        """The points one log line yields. ``timestamp`` is a datetime or epoch milliseconds."""
        if not self.definitions:
            return []
        escaped = line.replace("\t", SYSLOG_TAB)
        when: dt.datetime | None = None
        points = []
        for name, regex in self.definitions:
            match = regex.search(escaped) or (regex.search(line) if escaped != line else None)
            if match is None:
                continue
            try:
                value = float(match.group(1))
            except (TypeError, ValueError, IndexError):
                continue
            if not math.isfinite(value):  # CloudWatch stores no NaN or infinity
                continue
            when = when or _as_datetime(timestamp)
            point = MetricPoint(name, value, when)
            self._last[name] = point
            points.append(point)
        self._pending.extend(points)
        return points

    def feed_lines(self, lines: Iterable[tuple[dt.datetime | int | float, str]]) -> list[MetricPoint]:
        """``(timestamp, text)`` pairs; e.g. ``[(l.timestamp_ms, l.text) for l in log_lines]``."""
        points: list[MetricPoint] = []
        for timestamp, text in lines:
            points.extend(self.feed(text, timestamp))
        return points

    def drain(self) -> list[MetricPoint]:
        """The points fed since the last drain (to publish them in batches)."""
        pending, self._pending = self._pending, []
        return pending

    def final_metric_data_list(self, json_safe: bool = False) -> list[dict[str, Any]]:
        """The last value of each metric seen, in definition order, as FinalMetricDataList entries.

        ``json_safe`` gives Timestamp as epoch seconds (for a JSON column; the serializers accept both).
        """
        out = []
        for name, _ in self.definitions:
            point = self._last.get(name)
            if point is not None:
                stamp: Any = point.timestamp.timestamp() if json_safe else point.timestamp
                out.append({"MetricName": name, "Value": point.value, "Timestamp": stamp})
        return out

    def restore(self, final_metric_data_list: Iterable[Mapping[str, Any]]) -> None:
        """Resume after a restart from a stored FinalMetricDataList (Timestamp datetime or epoch seconds)."""
        for entry in final_metric_data_list:
            stamp = entry["Timestamp"]
            when = _as_datetime(stamp) if isinstance(stamp, dt.datetime) else _as_datetime(float(stamp) * 1000)
            self._last[entry["MetricName"]] = MetricPoint(entry["MetricName"], float(entry["Value"]), when)


class MetricRecorder(Protocol):
    def record(self, namespace: str, name: str, dimensions: Mapping[str, str],
               points: Iterable[tuple[dt.datetime, float]], *, account_id: str, region: str) -> None: ...


def record_points(recorder: MetricRecorder, points: Iterable[MetricPoint], *, job_name: str, account_id: str,
                  region: str) -> None:
    """Publish training metric points as SageMaker does: namespace /aws/sagemaker/TrainingJobs,
    dimension TrainingJobName (what TrainingJobAnalytics queries)."""
    by_name: dict[str, list[tuple[dt.datetime, float]]] = {}
    for point in points:
        by_name.setdefault(point.name, []).append((point.timestamp, point.value))
    for name, series in by_name.items():
        recorder.record(TRAINING_NAMESPACE, name, {TRAINING_DIMENSION: job_name}, series,
                        account_id=account_id, region=region)
