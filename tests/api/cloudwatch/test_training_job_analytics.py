"""``sagemaker.analytics.TrainingJobAnalytics(job).dataframe()`` reads what the jobs service records.

The metric points go in as the jobs service writes them (``CloudWatchService.record`` on the
server's own metadata store, fed by the log collector); the SDK reads them back over the wire with
GetMetricStatistics. DescribeTrainingJob is stubbed: only the CloudWatch half is under test here.
"""

from __future__ import annotations

import datetime as dt
import types
import uuid

import pytest

from sagecraft.services.cloudwatch.service import CloudWatchService
from sagecraft.services.jobs.metrics import MetricCollector, builtin_metric_definitions, record_points
from sagecraft.storage.metadata import MetadataStore
from tests.support.postgres import server_database_url
from tests.support.server import REGION

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


class DescribeOnly:
    def __init__(self, description: dict) -> None:
        self.description = description

    def describe_training_job(self, TrainingJobName: str) -> dict:
        assert TrainingJobName == self.description["TrainingJobName"]
        return self.description


@pytest.fixture
def recorded_job(server):
    """A job whose 30 rounds over three minutes were collected from its log and recorded."""
    job = f"xgb-{uuid.uuid4().hex[:10]}"
    start = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    collector = MetricCollector(builtin_metric_definitions(IMAGE))
    for i in range(30):
        when = start + dt.timedelta(seconds=6 * i)
        collector.feed(f"[{i}]\ttrain-auc:{0.9 + i / 1000:.5f}\tvalidation-auc:{0.8 + i / 100:.5f}", when)
    store = MetadataStore.open(server_database_url(server.home, server.extra_env))
    try:
        record_points(CloudWatchService(store), collector.drain(), job_name=job, account_id="000000000000",
                      region=REGION)
    finally:
        store.close()
    description = {
        "TrainingJobName": job, "TrainingStartTime": start, "TrainingEndTime": start + dt.timedelta(minutes=3),
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "MetricDefinitions": builtin_metric_definitions(IMAGE)},
        "FinalMetricDataList": collector.final_metric_data_list(),
    }
    return job, description


def test_training_job_analytics_dataframe(server, recorded_job, monkeypatch):
    from sagemaker.analytics import TrainingJobAnalytics

    job, description = recorded_job
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)  # how `sagecraft env` points the SDK here
    session = types.SimpleNamespace(sagemaker_client=DescribeOnly(description), boto_session=server.session())
    frame = TrainingJobAnalytics(job, metric_names=["train:auc", "validation:auc"],
                                 sagemaker_session=session).dataframe()
    auc = frame[frame.metric_name == "validation:auc"]
    assert auc.timestamp.tolist() == [0.0, 60.0, 120.0]  # one Average per minute, from the first one
    assert auc.value.tolist() == pytest.approx([0.845, 0.945, 1.045])
    assert len(frame[frame.metric_name == "train:auc"]) == 3
    assert description["FinalMetricDataList"][-1]["MetricName"] == "validation:auc"


def test_metric_names_come_from_the_job_description(server, recorded_job, monkeypatch):
    from sagemaker.analytics import TrainingJobAnalytics

    job, description = recorded_job
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    session = types.SimpleNamespace(sagemaker_client=DescribeOnly(description), boto_session=server.session())
    frame = TrainingJobAnalytics(job, sagemaker_session=session).dataframe()  # 40 GetMetricStatistics calls
    assert set(frame.metric_name) == {"train:auc", "validation:auc"}
