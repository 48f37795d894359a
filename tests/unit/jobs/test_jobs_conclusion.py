"""How instance outcomes become a job's terminal state, and the transitions SageMaker reports."""

from __future__ import annotations

import datetime as dt

import pytest

from sagecraft.executors.base import Outcome, WorkloadState, WorkloadStatus
from sagecraft.services.jobs.models import Job, JobKind, JobStatus, Secondary, add_transition
from sagecraft.services.jobs.outputs import conclusion, model_artifacts_uri

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def job(status: JobStatus = JobStatus.IN_PROGRESS, kind: JobKind = JobKind.TRAINING, **request) -> Job:
    return Job(id=1, account_id="000000000000", region="us-east-1", kind=kind, name="j", arn="arn", status=status,
               secondary_status=None, failure_reason=None, exit_message=None, created_at=NOW, last_modified=NOW,
               started_at=NOW, ended_at=None, billable_seconds=None, model_artifacts=None,
               request={"StoppingCondition": {"MaxRuntimeInSeconds": 5},
                        "OutputDataConfig": {"S3OutputPath": "s3://b/out/"}, **request})


def exited(outcome: Outcome, code: int | None = 0) -> WorkloadStatus:
    return WorkloadStatus(WorkloadState.EXITED, outcome=outcome, exit_code=code, message=f"{outcome}")


@pytest.mark.parametrize(("current", "outcomes", "ending", "expected"), [
    (JobStatus.IN_PROGRESS, [Outcome.COMPLETED, Outcome.COMPLETED], None, (JobStatus.COMPLETED, Secondary.COMPLETED)),
    (JobStatus.IN_PROGRESS, [Outcome.COMPLETED, Outcome.FAILED], None, (JobStatus.FAILED, Secondary.FAILED)),
    # the runner stopped the healthy instance because the other failed: still a failure
    (JobStatus.IN_PROGRESS, [Outcome.STOPPED, Outcome.FAILED], None, (JobStatus.FAILED, Secondary.FAILED)),
    (JobStatus.STOPPING, [Outcome.STOPPED], Secondary.STOPPING, (JobStatus.STOPPED, Secondary.STOPPED)),
    (JobStatus.STOPPING, [Outcome.COMPLETED], None, (JobStatus.STOPPED, Secondary.STOPPED)),
    (JobStatus.IN_PROGRESS, [Outcome.MAX_RUNTIME], None, (JobStatus.STOPPED, Secondary.MAX_RUNTIME_EXCEEDED)),
    (JobStatus.IN_PROGRESS, [Outcome.STOPPED], Secondary.MAX_WAIT_TIME_EXCEEDED,
     (JobStatus.STOPPED, Secondary.MAX_WAIT_TIME_EXCEEDED)),
    (JobStatus.IN_PROGRESS, [Outcome.LOST], None, (JobStatus.FAILED, Secondary.FAILED)),
])
def test_outcomes_to_status(tmp_path, current, outcomes, ending, expected):
    status, secondary, fields = conclusion(job(current), [exited(o) for o in outcomes], ending, [tmp_path], [])
    assert (status, secondary) == expected
    assert ("failure_reason" in fields) == (expected[0] is JobStatus.FAILED or expected[1] in (
        Secondary.MAX_RUNTIME_EXCEEDED, Secondary.MAX_WAIT_TIME_EXCEEDED))


def test_the_failure_file_wins(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "failure").write_text("ClientError: bad data\n")
    _, _, fields = conclusion(job(), [exited(Outcome.FAILED, 1)], None, [tmp_path], [])
    assert fields["failure_reason"] == "ClientError: bad data"


def test_transitions_close_the_previous_one():
    transitions = add_transition([], Secondary.STARTING, 1.0)
    transitions = add_transition(transitions, Secondary.TRAINING, 2.0)
    transitions = add_transition(transitions, Secondary.COMPLETED, 3.0)
    assert [(t["Status"], t["StartTime"], t["EndTime"]) for t in transitions] == [
        ("Starting", 1.0, 2.0), ("Training", 2.0, 3.0), ("Completed", 3.0, 3.0)]
    assert transitions[0]["StatusMessage"] == "Preparing the instances for training"


def test_model_artifacts_path():
    assert model_artifacts_uri(job()) == "s3://b/out/j/output/model.tar.gz"
    uncompressed = job(OutputDataConfig={"S3OutputPath": "s3://b/out", "CompressionType": "NONE"})
    assert model_artifacts_uri(uncompressed) == "s3://b/out/j/output/model/"
