"""Model Monitor requests that fail: the AWS error, and nothing created. Job definitions' lifecycle."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from monitoring_support import ANALYZER_IMAGE, ROLE, unique


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("monitor-req")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="baseline/constraints.json", Body=b'{"version": 0.0, "features": []}')
    s3.put_object(Bucket=name, Key="baseline/statistics.json", Body=b'{"version": 0.0, "features": []}')
    return name


def _request(bucket: str, endpoint: str, constraints: str = "baseline/constraints.json") -> dict:
    return dict(
        DataQualityAppSpecification={"ImageUri": ANALYZER_IMAGE},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint,
                                               "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
        RoleArn=ROLE,
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"s3://{bucket}/{constraints}"},
                                   "StatisticsResource": {"S3Uri": f"s3://{bucket}/baseline/statistics.json"}})


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _schedules(sm) -> list[str]:
    return [s["MonitoringScheduleName"] for s in sm.list_monitoring_schedules()["MonitoringScheduleSummaries"]]


def test_job_definition_lifecycle(sm, bucket):
    name = unique("dq-def")
    arn = sm.create_data_quality_job_definition(JobDefinitionName=name, **_request(bucket, "some-endpoint"))[
        "JobDefinitionArn"]
    assert arn.endswith(f":data-quality-job-definition/{name}")
    described = sm.describe_data_quality_job_definition(JobDefinitionName=name)
    assert described["JobDefinitionArn"] == arn and described["DataQualityAppSpecification"]["ImageUri"] == \
        ANALYZER_IMAGE
    listed = sm.list_data_quality_job_definitions(EndpointName="some-endpoint")["JobDefinitionSummaries"]
    assert [d["MonitoringJobDefinitionName"] for d in listed] == [name]
    assert _error(sm.create_data_quality_job_definition, JobDefinitionName=name,
                  **_request(bucket, "some-endpoint"))[0] == "ResourceInUse"
    sm.delete_data_quality_job_definition(JobDefinitionName=name)
    code, _ = _error(sm.describe_data_quality_job_definition, JobDefinitionName=name)
    assert code == "ResourceNotFound"
    assert _error(sm.describe_model_quality_job_definition, JobDefinitionName=name)[0] == "ResourceNotFound"


def test_baseline_path_without_files_creates_nothing(sm, bucket):
    name = unique("dq-def")
    code, message = _error(sm.create_data_quality_job_definition, JobDefinitionName=name,
                           **_request(bucket, "some-endpoint", constraints="nothing-here/constraints.json"))
    assert code == "ValidationException" and "No S3 objects found" in message
    assert _error(sm.describe_data_quality_job_definition, JobDefinitionName=name)[0] == "ResourceNotFound"


def test_schedule_on_a_missing_endpoint_creates_nothing(sm, bucket):
    definition = unique("dq-def")
    sm.create_data_quality_job_definition(JobDefinitionName=definition, **_request(bucket, "no-such-endpoint"))
    schedule = unique("dq-schedule")
    code, message = _error(sm.create_monitoring_schedule, MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": definition,
        "MonitoringType": "DataQuality"})
    assert code == "ValidationException" and "no-such-endpoint" in message
    assert schedule not in _schedules(sm)
    assert _error(sm.describe_monitoring_schedule, MonitoringScheduleName=schedule)[0] == "ResourceNotFound"


@pytest.mark.parametrize("expression", ["cron(0 * * * *)", "cron(15 * ? * * *)", "rate(1 hour)", "cron(0 25 ? * * *)",
                                        "daily"])
def test_malformed_schedule_expression_creates_nothing(sm, bucket, expression):
    definition = unique("dq-def")
    sm.create_data_quality_job_definition(JobDefinitionName=definition, **_request(bucket, "no-such-endpoint"))
    schedule = unique("dq-schedule")
    code, message = _error(sm.create_monitoring_schedule, MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": expression}, "MonitoringJobDefinitionName": definition})
    assert code == "ValidationException" and "ScheduleExpression" in message
    assert schedule not in _schedules(sm)


def test_one_time_schedule_needs_its_window(sm, bucket):
    definition = unique("dq-def")
    sm.create_data_quality_job_definition(JobDefinitionName=definition, **_request(bucket, "no-such-endpoint"))
    code, message = _error(sm.create_monitoring_schedule, MonitoringScheduleName=unique("once"),
                           MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": "NOW"},
                                                     "MonitoringJobDefinitionName": definition})
    assert code == "ValidationException" and "DataAnalysisStartTime" in message


def test_missing_schedule_is_resource_not_found(sm):
    for call in (sm.describe_monitoring_schedule, sm.delete_monitoring_schedule, sm.stop_monitoring_schedule,
                 sm.start_monitoring_schedule):
        assert _error(call, MonitoringScheduleName=unique("nope"))[0] == "ResourceNotFound"


def test_tags_on_job_definitions(sm, bucket):
    name = unique("dq-tags")
    request = _request(bucket, "some-endpoint")
    arn = sm.create_data_quality_job_definition(JobDefinitionName=name, Tags=[{"Key": "team", "Value": "a"}],
                                                **request)["JobDefinitionArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}, {"Key": "stage", "Value": "dev"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.list_tags(ResourceArn=arn)["Tags"]) == [
        ("stage", "dev"), ("team", "b")]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    code, message = _error(sm.add_tags, ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert code == "ValidationException" and "at most 50 tags" in message
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]  # nothing changed
    sm.delete_data_quality_job_definition(JobDefinitionName=name)
    assert _error(sm.list_tags, ResourceArn=arn)[0] == "ResourceNotFound"
