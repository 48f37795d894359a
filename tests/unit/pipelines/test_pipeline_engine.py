"""The engine against a scripted control plane: retries of refused calls, the parallelism limit,
a failure that stops new steps. The engine is advanced by hand (no thread)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.services.pipelines.engine import PipelineEngine
from sagecraft.services.pipelines.service import PipelinesService
from sagecraft.storage.metadata import MetadataStore


class ScriptedApi:
    """Processing jobs that complete when the test says; CreateProcessingJob may fail first."""

    def __init__(self, create_failures: list[AwsError] | None = None) -> None:
        self.create_failures = list(create_failures or [])
        self.jobs: dict[str, str] = {}
        self.calls: list[str] = []

    def call(self, account_id: str, region: str, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(operation_name)
        if operation_name == "CreateProcessingJob":
            if self.create_failures:
                failure = self.create_failures.pop(0)
                if "already exists" in failure.message:  # made before a restart: it exists
                    self.jobs[params["ProcessingJobName"]] = "InProgress"
                raise failure
            self.jobs[params["ProcessingJobName"]] = "InProgress"
            return {"ProcessingJobArn": f"arn:aws:sagemaker:{region}:{account_id}:processing-job/"
                                        f"{params['ProcessingJobName'].lower()}"}
        if operation_name == "DescribeProcessingJob":
            status = self.jobs[params["ProcessingJobName"]]
            arn = f"arn:aws:sagemaker:{region}:{account_id}:processing-job/{params['ProcessingJobName'].lower()}"
            return {"ProcessingJobStatus": status, "ProcessingJobName": params["ProcessingJobName"],
                    "ProcessingJobArn": arn,
                    **({"FailureReason": "AlgorithmError: boom"} if status == "Failed" else {})}
        raise AssertionError(operation_name)

    def finish(self, status: str = "Completed") -> None:
        for name, current in self.jobs.items():
            if current == "InProgress":
                self.jobs[name] = status


class NoObjects:
    def read(self, uri: str) -> bytes:
        raise ValidationException(uri)


@pytest.fixture
def service(tmp_path) -> PipelinesService:
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'metadata.sqlite3'}")
    yield PipelinesService(store, NoObjects(), "test-owner")
    store.close()


def _start(service: PipelinesService, steps: list[dict], **params) -> str:
    definition = json.dumps({"Version": "2020-12-01", "Steps": steps})
    service.create("000000000000", "us-east-1", {"PipelineName": "p", "PipelineDefinition": definition})
    return service.start("000000000000", "us-east-1", {"PipelineName": "p", **params}).arn


def _step(name: str, **extra) -> dict:
    return {"Name": name, "Type": "Processing", "Arguments": {"AppSpecification": {"ImageUri": "x"}}, **extra}


def _statuses(service: PipelinesService, arn: str) -> dict[str, str]:
    return {run.name: run.status.value for run in service.steps(arn)}


def test_a_refused_create_is_retried_as_a_service_fault(service):
    api = ScriptedApi([AwsError("busy", code="InternalFailure", status=500)])
    engine = PipelineEngine(service, api)
    policy = [{"ExceptionType": ["Step.SERVICE_FAULT"], "IntervalSeconds": 0.01, "BackoffRate": 1, "MaxAttempts": 1}]
    arn = _start(service, [_step("A", RetryPolicies=policy)])
    engine.advance(arn)
    (run,) = service.steps(arn)
    assert run.status.value == "Starting" and run.attempt == 2 and run.failure_reason.startswith("InternalFailure")
    while _statuses(service, arn)["A"] == "Starting":
        engine.advance(arn)
    api.finish()
    engine.advance(arn)
    assert service.execution(arn).status.value == "Succeeded"
    assert api.calls.count("CreateProcessingJob") == 2


def test_a_refused_create_without_a_policy_fails_the_execution(service):
    api = ScriptedApi([ValidationException("bad request")])
    engine = PipelineEngine(service, api)
    arn = _start(service, [_step("A")])
    engine.advance(arn)
    execution = service.execution(arn)
    assert execution.status.value == "Failed"
    assert execution.failure_reason == "Step failure: A failed: ValidationException: bad request"


def test_parallel_steps_respect_the_limit_and_a_failure_stops_new_steps(service):
    api = ScriptedApi()
    engine = PipelineEngine(service, api)
    arn = _start(service, [_step("A"), _step("B"), _step("C"), _step("D", DependsOn=["A"])],
                 ParallelismConfiguration={"MaxParallelExecutionSteps": 2})
    engine.advance(arn)
    assert _statuses(service, arn) == {"A": "Executing", "B": "Executing"}
    api.finish("Failed")
    engine.advance(arn)
    assert _statuses(service, arn) == {"A": "Failed", "B": "Failed"}  # C and D never start
    assert service.execution(arn).status.value == "Failed"


def test_a_job_created_before_a_restart_is_followed_not_failed(service):
    api = ScriptedApi([AwsError("a job with this name already exists", code="ResourceInUse", status=400)])
    engine = PipelineEngine(service, api)
    arn = _start(service, [_step("A")])
    engine.advance(arn)
    (run,) = service.steps(arn)
    assert run.status.value == "Executing"
    assert run.metadata["ProcessingJob"]["Arn"].endswith(run.job["name"].lower())
    api.finish()
    engine.advance(arn)
    assert service.execution(arn).status.value == "Succeeded"


class BusyDescribeApi(ScriptedApi):
    """DescribeProcessingJob answers a server fault (e.g. a busy database) the first times."""

    def __init__(self, faults: int) -> None:
        super().__init__()
        self.faults = faults

    def call(self, account_id: str, region: str, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation_name == "DescribeProcessingJob" and self.faults:
            self.faults -= 1
            self.calls.append(operation_name)
            raise AwsError("An internal error occurred.", code="InternalFailure", status=500)
        return super().call(account_id, region, operation_name, params)


def test_a_server_fault_while_following_a_job_does_not_fail_its_step(service):
    api = BusyDescribeApi(faults=2)
    engine = PipelineEngine(service, api)
    arn = _start(service, [_step("A")])
    engine.advance(arn)  # creates the job
    engine.advance(arn)  # Describe fails: the job still runs, the step waits
    engine.advance(arn)
    assert _statuses(service, arn) == {"A": "Executing"} and service.execution(arn).status.value == "Executing"
    api.finish()
    engine.advance(arn)
    assert service.execution(arn).status.value == "Succeeded"
