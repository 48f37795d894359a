"""Step policies and execution control: caching, retry policies, stopping, callback steps and
retrying a failed execution."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from pipelines_support import (
    create,
    default_output,
    get,
    processing_step,
    steps_by_name,
    unique,
    upload_script,
    wait,
)

FAIL_ONCE = """
    import os, sys
    marker = {marker!r}
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.makedirs("/opt/ml/output", exist_ok=True)
        open("/opt/ml/output/failure", "w").write({reason!r})
        sys.exit(1)
    print("second attempt succeeds")
"""


def _processing_jobs(sm, execution_id: str) -> list[str]:
    found = sm.list_processing_jobs(NameContains=execution_id, MaxResults=100)["ProcessingJobSummaries"]
    return [j["ProcessingJobName"] for j in found]


def test_a_cached_step_reuses_the_earlier_job(sm, s3, bucket):
    name = unique("cached")
    code = upload_script(s3, bucket, "open('/opt/ml/processing/output/out/x.txt', 'w').write('x')\n")
    cached = processing_step("Cached", code, outputs={"out": default_output(bucket, name, "Cached", "out")},
                             CacheConfig={"Enabled": True, "ExpireAfter": "PT1H"})
    uncached = processing_step("Uncached", upload_script(s3, bucket, "print(1)\n"))
    reader = processing_step("Reader", upload_script(s3, bucket, "print(1)\n"),
                             env={"INPUT": get("Steps.Cached.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri")},
                             CacheConfig={"Enabled": True, "ExpireAfter": "P1D"})
    create(sm, name, [cached, uncached, reader])
    first = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, first)["PipelineExecutionStatus"] == "Succeeded"
    second = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, second)["PipelineExecutionStatus"] == "Succeeded"

    before, after = steps_by_name(sm, first), steps_by_name(sm, second)
    for step in ("Cached", "Reader"):
        assert after[step]["CacheHitResult"] == {"SourcePipelineExecutionArn": first}
        assert after[step]["Metadata"] == before[step]["Metadata"]  # the same job
    assert "CacheHitResult" not in after["Uncached"]
    new_jobs = [n.lower() for n in _processing_jobs(sm, second.rsplit("/", 1)[-1])]
    assert new_jobs == [after["Uncached"]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]]  # the only one

    # Other arguments (here: a parameter-free environment change) miss the cache.
    cached["Arguments"]["Environment"] = {"CHANGED": "1"}
    sm.update_pipeline(PipelineName=name, PipelineDefinition=_definition_of([cached, uncached, reader]))
    third = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    described = wait(sm, third)
    assert described["PipelineExecutionStatus"] == "Succeeded", (described, steps_by_name(sm, third))
    assert "CacheHitResult" not in steps_by_name(sm, third)["Cached"]


def _definition_of(steps: list[dict]) -> str:
    from pipelines_support import definition

    return definition(steps)


def test_a_retry_policy_retries_an_internal_error(sm, s3, bucket, tmp_path):
    name = unique("retry")
    code = upload_script(s3, bucket, FAIL_ONCE.format(marker=str(tmp_path / "tried"),
                                                       reason="InternalServerError: a transient fault"))
    create(sm, name, [processing_step("Flaky", code, RetryPolicies=[{
        "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1, "BackoffRate": 1.0,
        "MaxAttempts": 2}])])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    step = steps_by_name(sm, arn)["Flaky"]
    assert step["StepStatus"] == "Succeeded" and step["AttemptCount"] == 2
    assert len(_processing_jobs(sm, arn.rsplit("/", 1)[-1])) == 2  # one job per attempt


def test_a_retry_policy_does_not_retry_other_failures(sm, s3, bucket, tmp_path):
    name = unique("no-retry")
    code = upload_script(s3, bucket, FAIL_ONCE.format(marker=str(tmp_path / "tried"),
                                                       reason="ClientError: the input is wrong"))
    create(sm, name, [processing_step("Flaky", code, RetryPolicies=[{
        "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR", "Step.SERVICE_FAULT"], "IntervalSeconds": 1,
        "MaxAttempts": 3}])])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Failed"
    step = steps_by_name(sm, arn)["Flaky"]
    assert step["AttemptCount"] == 1 and step["FailureReason"] == "ClientError: the input is wrong"

    # RetryPipelineExecution runs the failed step again (the marker now exists: it succeeds).
    assert sm.retry_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionArn"] == arn
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    assert steps_by_name(sm, arn)["Flaky"]["StepStatus"] == "Succeeded"
    with pytest.raises(ClientError, match="only a failed or stopped"):
        sm.retry_pipeline_execution(PipelineExecutionArn=arn)


def test_stopping_an_execution_stops_its_running_job(sm, s3, bucket, tmp_path):
    name = unique("stop")
    started = tmp_path / "started"
    code = upload_script(s3, bucket, f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(120)\n")
    create(sm, name, [processing_step("Sleepy", code),
                      processing_step("Never", upload_script(s3, bucket, "print(1)\n"), DependsOn=["Sleepy"])])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline, "the step's job never started"
        time.sleep(0.05)
    sm.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] in (
        "Stopping", "Stopped")
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Stopped"
    steps = steps_by_name(sm, arn)
    assert set(steps) == {"Sleepy"} and steps["Sleepy"]["StepStatus"] == "Stopped"
    job = sm.describe_processing_job(ProcessingJobName=steps["Sleepy"]["Metadata"]["ProcessingJob"]["Arn"]
                                     .rsplit("/", 1)[-1])
    assert job["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="only an executing"):
        sm.stop_pipeline_execution(PipelineExecutionArn=arn)


def _callback_pipeline(sm, s3, bucket) -> str:
    name = unique("callback")
    callback = {"Name": "Approve", "Type": "Callback", "Arguments": {
        "SqsQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
        "OutputParameters": [{"OutputName": "decision", "OutputType": "String"}]}}
    after = processing_step("After", upload_script(s3, bucket, "import os\nprint(os.environ['DECISION'])\n"),
                            env={"DECISION": get("Steps.Approve.OutputParameters['decision']")})
    create(sm, name, [callback, after])
    return name


def _token(sm, arn: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        steps = steps_by_name(sm, arn)
        if "Approve" in steps:
            return steps["Approve"]["Metadata"]["Callback"]["CallbackToken"]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_callback_step_waits_for_its_token(sm, s3, bucket):
    name = _callback_pipeline(sm, s3, bucket)
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    token = _token(sm, arn)
    assert steps_by_name(sm, arn)["Approve"]["StepStatus"] == "Executing"
    sm.send_pipeline_execution_step_success(CallbackToken=token,
                                            OutputParameters=[{"Name": "decision", "Value": "ship-it"}])
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    after = steps_by_name(sm, arn)["After"]
    job = sm.describe_processing_job(ProcessingJobName=after["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1])
    assert job["Environment"] == {"DECISION": "ship-it"}
    with pytest.raises(ClientError, match="no longer waits"):
        sm.send_pipeline_execution_step_failure(CallbackToken=token, FailureReason="late")


def test_a_callback_failure_fails_the_execution(sm, s3, bucket):
    name = _callback_pipeline(sm, s3, bucket)
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    sm.send_pipeline_execution_step_failure(CallbackToken=_token(sm, arn), FailureReason="rejected by a human")
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert "rejected by a human" in described["FailureReason"]
    with pytest.raises(ClientError, match="is not valid"):
        sm.send_pipeline_execution_step_success(CallbackToken="0" * 10)
