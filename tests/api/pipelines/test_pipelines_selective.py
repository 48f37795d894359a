"""Selective executions: only the selected steps run; the steps they depend on keep the source
execution's results (shown with SelectiveExecutionResult); refused selections create nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pipelines_support import create, default_output, get, processing_step, steps_by_name, unique, upload_script, wait

OUTPUT_OF_A = "Steps.A.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri"


@pytest.fixture(scope="module")
def chain(sm, s3, bucket) -> tuple[str, str]:
    """Pipeline A → B → C (B reads A's output URI), and one execution of it that succeeded."""
    name = unique("selective")
    write = upload_script(s3, bucket, "open('/opt/ml/processing/output/out/x.txt', 'w').write('x')\n")
    quiet = upload_script(s3, bucket, "print('ok')\n")
    create(sm, name, [
        processing_step("A", write, outputs={"out": default_output(bucket, name, "A", "out")}),
        processing_step("B", quiet, env={"INPUT": get(OUTPUT_OF_A)}),
        processing_step("C", quiet, DependsOn=["B"]),
    ])
    source = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, source)["PipelineExecutionStatus"] == "Succeeded"
    return name, source


def test_selected_steps_run_and_reuse_the_source_results(sm, chain):
    name, source = chain
    config = {"SourcePipelineExecutionArn": source, "SelectedSteps": [{"StepName": "B"}]}
    arn = sm.start_pipeline_execution(PipelineName=name, SelectiveExecutionConfig=config)["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded"
    assert described["SelectiveExecutionConfig"] == config
    before, after = steps_by_name(sm, source), steps_by_name(sm, arn)
    assert set(after) == {"A", "B"}  # C, downstream of the selection, does not run
    assert after["A"]["SelectiveExecutionResult"] == {"SourcePipelineExecutionArn": source}
    assert after["A"]["Metadata"] == before["A"]["Metadata"]  # A's job is the source's, not a new one
    assert "SelectiveExecutionResult" not in after["B"]
    new_job = after["B"]["Metadata"]["ProcessingJob"]["Arn"]
    assert new_job != before["B"]["Metadata"]["ProcessingJob"]["Arn"]
    job = sm.describe_processing_job(ProcessingJobName=new_job.rsplit("/", 1)[-1])
    source_job = sm.describe_processing_job(ProcessingJobName=before["A"]["Metadata"]["ProcessingJob"]["Arn"]
                                            .rsplit("/", 1)[-1])
    # B read the source execution's output of A.
    assert job["Environment"]["INPUT"] == source_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]


@pytest.mark.parametrize(("selected", "with_source", "message"), [
    (["B"], False, "give SourcePipelineExecutionArn"),
    (["A", "C"], True, "also select ['B']"),
    (["Nope"], True, "are not steps of the pipeline definition"),
])
def test_refused_selections_start_nothing(sm, chain, selected, with_source, message):
    name, source = chain
    before = len(sm.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"])
    config = {"SelectedSteps": [{"StepName": s} for s in selected],
              **({"SourcePipelineExecutionArn": source} if with_source else {})}
    with pytest.raises(ClientError) as raised:
        sm.start_pipeline_execution(PipelineName=name, SelectiveExecutionConfig=config)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert len(sm.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]) == before


def test_a_source_of_another_pipeline_is_refused(sm, chain, s3, bucket):
    _name, source = chain
    other = unique("selective-other")
    create(sm, other, [processing_step("B", upload_script(s3, bucket, "print(1)\n"))])
    with pytest.raises(ClientError, match="is not an execution of pipeline"):
        sm.start_pipeline_execution(PipelineName=other, SelectiveExecutionConfig={
            "SourcePipelineExecutionArn": source, "SelectedSteps": [{"StepName": "B"}]})
