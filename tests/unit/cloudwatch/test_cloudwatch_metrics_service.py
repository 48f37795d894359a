"""CloudWatch metrics: statistics math and the service on a real (SQLite) metadata store."""

from __future__ import annotations

import datetime as dt

import pytest

from sagecraft.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from sagecraft.services.cloudwatch.models import Metric, MetricScope, Sample, aggregate, aligned_start_ms
from sagecraft.services.cloudwatch.service import CloudWatchService, MetricDatum
from sagecraft.storage.metadata import MetadataStore
from tests.support.postgres import BACKENDS, database_url

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
SCOPE = MetricScope("000000000000", "us-east-1")


@pytest.fixture(params=BACKENDS)
def service(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        store = MetadataStore.open(url)
        yield CloudWatchService(store, clock=lambda: NOW_MS)
        store.close()


def test_percentiles_use_exact_samples_only():
    window = aggregate([Sample.value(0, v) for v in (1, 2, 3, 4)] + [Sample.value(10, 10, count=96)], 0, 60)
    (only,) = window
    assert only.statistic("SampleCount") == 100 and only.statistic("Maximum") == 10
    assert only.statistic("p4") == 4 and only.statistic("p50") == 10 and only.statistic("p0") == 1
    hidden = aggregate([Sample(0, 2, 3, 1, 2)], 0, 60)[0]
    assert hidden.statistic("p50") is None and hidden.statistic("Average") == 1.5


def test_periods_and_units():
    samples = [Sample.value(0, 1, unit="Count"), Sample.value(59_999, 3, unit="Count"), Sample.value(60_000, 5),
               Sample.value(61_000, 7, unit="Count")]
    split = aggregate(samples, 0, 60)
    assert [(a.timestamp_ms, a.unit, a.statistic("Sum")) for a in split] == [
        (0, "Count", 4), (60_000, None, 5), (60_000, "Count", 7)]
    merged = aggregate(samples, 0, 60, split_units=False)
    assert [a.statistic("Sum") for a in merged] == [4, 12]


def test_query_start_is_rounded_by_age():
    start = NOW_MS - 3_600_000 + 12_345
    assert aligned_start_ms(start, 60, NOW_MS) == NOW_MS - 3_600_000
    assert aligned_start_ms(start, 10, NOW_MS) == NOW_MS - 3_600_000 + 12_000
    old = NOW_MS - 30 * 86_400_000 + 123_456
    assert aligned_start_ms(old, 60, NOW_MS) % 300_000 == 0


def test_record_then_statistics(service):
    job = {"TrainingJobName": "j"}
    service.record("/aws/sagemaker/TrainingJobs", "validation:auc", job,
                   [(NOW - dt.timedelta(minutes=5, seconds=-i), 0.9 + i / 100) for i in range(5)]
                   + [(NOW - dt.timedelta(minutes=4), float("nan"))], account_id=SCOPE.account_id, region=SCOPE.region)
    metric = Metric.of("/aws/sagemaker/TrainingJobs", "validation:auc", job)
    (point,) = service.statistics(SCOPE, metric, NOW - dt.timedelta(minutes=10), NOW, 60, ["Average"], [], None)
    assert point.timestamp == NOW - dt.timedelta(minutes=5)
    assert point.statistic("Average") == pytest.approx(0.92) and point.sample_count == 5
    other_region = MetricScope(SCOPE.account_id, "eu-west-1")
    assert service.statistics(other_region, metric, NOW - dt.timedelta(minutes=10), NOW, 60, ["Average"], [],
                              None) == []


def test_put_metric_data_rules(service):
    with pytest.raises(InvalidParameterValue, match="AWS/"):
        service.put_metric_data(SCOPE, "AWS/EC2", [MetricDatum("m", value=1.0)])
    with pytest.raises(InvalidParameterCombination, match="mutually exclusive"):
        service.put_metric_data(SCOPE, "ns", [MetricDatum("m", value=1.0, values=(1.0,))])
    with pytest.raises(MissingParameter):
        service.put_metric_data(SCOPE, "ns", [MetricDatum("m")])
    with pytest.raises(InvalidParameterValue, match="StorageResolution"):
        service.put_metric_data(SCOPE, "ns", [MetricDatum("m", value=1.0, storage_resolution=5)])
    with pytest.raises(InvalidParameterValue, match="not unique"):
        service.put_metric_data(SCOPE, "ns", [MetricDatum("m", value=1.0, dimensions=(("a", "1"), ("a", "2")))])


def test_statistics_rules(service):
    metric = Metric.of("ns", "m")
    with pytest.raises(MissingParameter):
        service.statistics(SCOPE, metric, NOW - dt.timedelta(hours=1), NOW, 60, [], [], None)
    with pytest.raises(InvalidParameterValue, match="Period"):
        service.statistics(SCOPE, metric, NOW - dt.timedelta(hours=1), NOW, 90, ["Sum"], [], None)
    with pytest.raises(InvalidParameterValue, match="percentile"):
        service.statistics(SCOPE, metric, NOW - dt.timedelta(hours=1), NOW, 60, [], ["p101"], None)
    with pytest.raises(InvalidParameterCombination, match="1,440"):
        service.statistics(SCOPE, metric, NOW - dt.timedelta(days=2), NOW, 60, ["Sum"], [], None)


def test_list_metrics_pages(service, monkeypatch):
    monkeypatch.setattr("sagecraft.services.cloudwatch.service.LIST_PAGE", 2)
    service.put_metric_data(SCOPE, "ns", [MetricDatum(f"m{i}", value=1.0) for i in range(5)])
    names, after = [], 0
    while True:
        page, last = service.list_metrics(SCOPE, namespace="ns", after_id=after)
        names += [m.name for m in page]
        if last is None:
            break
        after = last
    assert names == ["m0", "m1", "m2", "m3", "m4"]
