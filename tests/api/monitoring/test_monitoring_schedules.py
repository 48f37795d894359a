"""Data-quality monitoring end to end: a baseline by the analyzer, a schedule on an endpoint that
captures its traffic, executions run now (``sagecraft monitor run``) over in-distribution and then
shifted traffic, the violations they find, and the CLI's view of them."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from monitoring_support import (
    ANALYZER_IMAGE,
    FEATURES,
    ROLE,
    SCALES,
    baseline,
    csv_line,
    deploy_capturing,
    invoke_all,
    read_json,
    sample,
    unique,
    wait_captured,
    wait_execution,
)

from tests.support.cli import sagecraft


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("monitor-test")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def endpoint(sm, s3, bucket, tmp_path_factory) -> str:
    return deploy_capturing(sm, s3, bucket, tmp_path_factory.mktemp("model"))


def _definition_request(bucket: str, endpoint: str, baseline_uri: str) -> dict:
    return dict(
        DataQualityAppSpecification={"ImageUri": ANALYZER_IMAGE, "Environment": {}},
        DataQualityJobInput={"EndpointInput": {
            "EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
        RoleArn=ROLE,
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{baseline_uri}/constraints.json"},
                                   "StatisticsResource": {"S3Uri": f"{baseline_uri}/statistics.json"}},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})


def _definition(sm, bucket: str, endpoint: str, baseline_uri: str) -> str:
    name = unique("dq-def")
    sm.create_data_quality_job_definition(JobDefinitionName=name, **_definition_request(bucket, endpoint,
                                                                                          baseline_uri))
    return name


def _run(server, schedule: str) -> str:
    done = sagecraft("monitor", "run", schedule, "--no-wait", "--home", server.home)
    assert done.returncode == 0, done.stderr
    assert "processing job model-monitoring-" in done.stderr
    return done.stderr.split("processing job ")[1].split(")")[0]


@pytest.mark.slow
def test_schedule_executions_find_exactly_the_shifted_features(server, sm, s3, runtime, bucket, endpoint):
    train = sample(600, 2)
    frame_csv = ",".join(FEATURES) + "\n" + "\n".join(csv_line(r) for r in train) + "\n"
    baseline_uri = baseline(sm, s3, bucket, frame_csv, "dq")
    definition = _definition(sm, bucket, endpoint, baseline_uri)
    schedule = unique("dq-schedule")
    sm.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": definition,
        "MonitoringType": "DataQuality"}, Tags=[{"Key": "owner", "Value": "ml"}])
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert described["MonitoringScheduleStatus"] in ("Pending", "Scheduled")
    schedule_arn = described["MonitoringScheduleArn"]
    assert sm.list_tags(ResourceArn=schedule_arn)["Tags"] == [{"Key": "owner", "Value": "ml"}]
    sm.add_tags(ResourceArn=schedule_arn, Tags=[{"Key": "env", "Value": "test"}])
    sm.delete_tags(ResourceArn=schedule_arn, TagKeys=["owner"])
    assert sm.list_tags(ResourceArn=schedule_arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    assert described["EndpointName"] == endpoint and described["MonitoringType"] == "DataQuality"

    invoke_all(runtime, endpoint, sample(200, 3))
    wait_captured(s3, bucket, endpoint, 200)
    job = _run(server, schedule)
    arn = sm.describe_processing_job(ProcessingJobName=job)["ProcessingJobArn"]
    calm = wait_execution(sm, schedule, arn)
    assert calm["MonitoringExecutionStatus"] == "Completed", calm.get("FailureReason")
    output = sm.describe_processing_job(ProcessingJobName=job)["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert read_json(s3, output["S3Uri"] + "/constraint_violations.json") == {"violations": []}
    statistics = read_json(s3, output["S3Uri"] + "/statistics.json")
    assert statistics["dataset"]["item_count"] == 200
    assert [f["name"] for f in statistics["features"]] == FEATURES

    shifted = sample(400, 4)
    shifted[:, 0] += 3 * SCALES[0]
    shifted[:, 1] -= 3 * SCALES[1]
    shifted[np.random.default_rng(5).random(400) < 0.3, 2] = np.nan
    invoke_all(runtime, endpoint, shifted)
    wait_captured(s3, bucket, endpoint, 600)
    job = _run(server, schedule)
    arn = sm.describe_processing_job(ProcessingJobName=job)["ProcessingJobArn"]
    drifted = wait_execution(sm, schedule, arn)
    assert drifted["MonitoringExecutionStatus"] == "CompletedWithViolations", drifted.get("FailureReason")
    output = sm.describe_processing_job(ProcessingJobName=job)["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    violations = read_json(s3, output["S3Uri"] + "/constraint_violations.json")["violations"]
    assert sorted((v["feature_name"], v["constraint_check_type"]) for v in violations) == [
        ("f0", "baseline_drift_check"), ("f1", "baseline_drift_check"), ("f2", "completeness_check")]

    summary = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["LastMonitoringExecutionSummary"]
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations" and summary["ProcessingJobArn"] == arn
    listed = sm.list_monitoring_executions(MonitoringScheduleName=schedule, SortBy="ScheduledTime",
                                           SortOrder="Descending")["MonitoringExecutionSummaries"]
    assert [e["MonitoringExecutionStatus"] for e in listed] == ["CompletedWithViolations", "Completed"]

    shown = sagecraft("monitor", "violations", schedule, "--home", server.home)
    assert shown.returncode == 0, shown.stderr
    assert "baseline_drift_check" in shown.stdout and "completeness_check" in shown.stdout
    listing = sagecraft("monitor", "ls", "--home", server.home)
    assert listing.returncode == 0 and schedule in listing.stdout and "CompletedWithViolations" in listing.stdout


def _handwritten_baseline(s3, bucket: str) -> str:
    """Constraints a user wrote by hand (no statistics): types and completeness of the four features."""
    features = [{"name": name, "inferred_type": "Fractional", "completeness": 0.5} for name in FEATURES]
    s3.put_object(Bucket=bucket, Key="manual/constraints.json",
                  Body=json.dumps({"version": 0.0, "features": features}).encode())
    return f"s3://{bucket}/manual"


@pytest.mark.slow
def test_one_time_schedule_runs_by_itself_and_the_lifecycle(sm, s3, runtime, bucket, endpoint):
    invoke_all(runtime, endpoint, sample(20, 6))
    wait_captured(s3, bucket, endpoint, 20)
    definition = unique("dq-def")
    request = _definition_request(bucket, endpoint, _handwritten_baseline(s3, bucket))
    request["DataQualityBaselineConfig"].pop("StatisticsResource")
    sm.create_data_quality_job_definition(JobDefinitionName=definition, **request)
    schedule = unique("dq-once")
    sm.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"})
    deadline = time.monotonic() + 180
    while True:  # the scheduler thread starts it: no run call
        last = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule).get("LastMonitoringExecutionSummary")
        if last and last["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations", "Failed"):
            break
        assert time.monotonic() < deadline, "the one-time schedule did not run"
        time.sleep(0.3)
    assert last["MonitoringExecutionStatus"] == "Completed", last.get("FailureReason")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"] == "Scheduled"

    sm.stop_monitoring_schedule(MonitoringScheduleName=schedule)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"] == "Stopped"
    sm.start_monitoring_schedule(MonitoringScheduleName=schedule)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"] == "Scheduled"
    sm.update_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"}, "MonitoringJobDefinitionName": definition,
        "MonitoringType": "DataQuality"})
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 0 ? * * *)"
    assert [s["MonitoringScheduleName"] for s in sm.list_monitoring_schedules(EndpointName=endpoint)[
        "MonitoringScheduleSummaries"] if s["MonitoringScheduleName"] == schedule] == [schedule]
    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"] == []
    sm.delete_data_quality_job_definition(JobDefinitionName=definition)
