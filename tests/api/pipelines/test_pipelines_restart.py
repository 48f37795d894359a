"""Executions outlive the server: killed while a step's job runs, a restarted server follows the
job to its end and runs the rest of the pipeline."""

from __future__ import annotations

import time

import pytest
from pipelines_support import create, processing_step, steps_by_name, unique, upload_script, wait


@pytest.mark.slow
def test_an_execution_finishes_after_a_server_crash(fresh_server, tmp_path):
    started, gate = tmp_path / "started", tmp_path / "gate"
    fresh_server.start()
    sm, s3 = fresh_server.client("sagemaker"), fresh_server.client("s3")
    bucket = unique("pipelines-restart")
    s3.create_bucket(Bucket=bucket)
    first = upload_script(s3, bucket, f"""
        import os, time
        open({str(started)!r}, "w").close()
        while not os.path.exists({str(gate)!r}):
            time.sleep(0.05)
    """)
    name = unique("survivor")
    create(sm, name, [processing_step("First", first),
                      processing_step("Second", upload_script(s3, bucket, "print('after')\n"), DependsOn=["First"])])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline, "the first step's job never started"
        time.sleep(0.05)

    fresh_server.kill()  # kill -9: no clean shutdown
    gate.touch()  # the job goes on (and may finish) while no server runs
    fresh_server.start()

    sm = fresh_server.client("sagemaker")
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = steps_by_name(sm, arn)
    assert {s["StepStatus"] for s in steps.values()} == {"Succeeded"} and set(steps) == {"First", "Second"}
    assert steps["First"]["AttemptCount"] == 1  # followed, not started again
