"""CloudWatch metrics of a monitoring run (publish_cloudwatch_metrics=Enabled), as SageMaker's
analyzer emits them: data quality under ``aws/sagemaker/Endpoints/data-metrics`` (per feature
``feature_baseline_drift_<f>``, ``feature_non_null_<f>``, ``feature_null_<f>``, and for numbers
``feature_sum_<f>``, ``feature_mean_<f>``…), model quality under
``aws/sagemaker/Endpoints/model-metrics`` (``accuracy``, ``f1``, ``rmse``…), with the dimensions
Endpoint and MonitoringSchedule. The job calls PutMetricData with its own credentials on the
endpoint it was given (AWS_ENDPOINT_URL): the metrics reach the server's CloudWatch store."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from typing import Any

DATA_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
MODEL_NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"
BATCH = 500  # PutMetricData's limit of data points per call

log = logging.getLogger("model_monitor")


def data_quality_metrics(statistics: dict[str, Any], drift: dict[str, float]) -> dict[str, float]:
    values: dict[str, float] = {}
    for feature in statistics["features"]:
        name = feature["name"]
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        common = stats.get("common", {})
        values[f"feature_non_null_{name}"] = float(common.get("num_present", 0))
        values[f"feature_null_{name}"] = float(common.get("num_missing", 0))
        for statistic in ("sum", "mean", "min", "max", "std_dev"):
            if statistic in stats:
                values[f"feature_{statistic}_{name}"] = float(stats[statistic])
        if name in drift:
            values[f"feature_baseline_drift_{name}"] = float(drift[name])
    return values


def publish(namespace: str, values: dict[str, float], when: dt.datetime | None = None) -> int:
    """PutMetricData for every value; returns how many points were sent (0 when there is nowhere
    to send them: no endpoint or schedule named in the job's environment)."""
    endpoint = os.environ.get("sagemaker_endpoint_name")  # noqa: SIM112 (the analyzer contract's names)
    schedule = os.environ.get("sagemaker_monitoring_schedule_name")  # noqa: SIM112
    if not endpoint or not schedule or not values:
        log.info("publish_cloudwatch_metrics: no endpoint or schedule named, no metrics published")
        return 0
    import boto3

    client = boto3.client("cloudwatch", region_name=os.environ.get("AWS_REGION") or os.environ.get(
        "AWS_DEFAULT_REGION") or "us-east-1")
    stamp = when or dt.datetime.now(dt.timezone.utc)
    dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
    # CloudWatch takes finite numbers only: a statistic of an all-missing feature (NaN) is left out.
    data = [{"MetricName": name[:255], "Dimensions": dimensions, "Timestamp": stamp, "Value": value,
             "Unit": "None"} for name, value in values.items() if math.isfinite(value)]
    for start in range(0, len(data), BATCH):
        client.put_metric_data(Namespace=namespace, MetricData=data[start:start + BATCH])
    return len(data)
