"""The Pipelines API: pipelines' lifecycle, definition checks, parameters of executions."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from pipelines_support import (
    ROLE,
    create,
    definition,
    get,
    processing_step,
    unique,
    upload_script,
    wait,
)


@pytest.fixture(scope="module")
def code(s3, bucket) -> str:
    return upload_script(s3, bucket, "print('hello from a pipeline step')\n")


def test_pipeline_lifecycle(sm, code):
    name = unique("lifecycle")
    text = definition([processing_step("Only", code)])
    arn = sm.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=text,
                             PipelineDescription="first", ParallelismConfiguration={"MaxParallelExecutionSteps": 3},
                             Tags=[{"Key": "team", "Value": "ml"}])["PipelineArn"]
    assert arn.endswith(f":pipeline/{name}")
    described = sm.describe_pipeline(PipelineName=name)
    assert described["PipelineDefinition"] == text
    assert described["PipelineStatus"] == "Active" and described["PipelineDescription"] == "first"
    assert described["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 3}

    with pytest.raises(ClientError) as duplicate:
        sm.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=text)
    assert duplicate.value.response["Error"]["Code"] == "ValidationException"
    assert "already exists" in duplicate.value.response["Error"]["Message"]

    updated = definition([processing_step("Renamed", code)])
    assert sm.update_pipeline(PipelineName=name, PipelineDefinition=updated, PipelineDescription="second")[
        "PipelineArn"] == arn
    described = sm.describe_pipeline(PipelineName=name)
    assert json.loads(described["PipelineDefinition"])["Steps"][0]["Name"] == "Renamed"
    assert described["PipelineDescription"] == "second"

    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ai"}, {"Key": "stage", "Value": "dev"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["stage"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ai"}]

    names = [p["PipelineName"] for p in sm.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]]
    assert names == [name]
    assert sm.delete_pipeline(PipelineName=name)["PipelineArn"] == arn
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_pipeline(PipelineName=name)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.update_pipeline(PipelineName=name, PipelineDefinition=updated)


def test_definition_from_s3(sm, s3, bucket, code):
    name = unique("from-s3")
    text = definition([processing_step("Only", code)])
    s3.put_object(Bucket=bucket, Key=f"definitions/{name}.json", Body=text.encode())
    sm.create_pipeline(PipelineName=name, RoleArn=ROLE,
                       PipelineDefinitionS3Location={"Bucket": bucket, "ObjectKey": f"definitions/{name}.json"})
    assert sm.describe_pipeline(PipelineName=name)["PipelineDefinition"] == text


@pytest.mark.parametrize(("steps", "message"), [
    ("{\"Version\": ", "Unable to parse pipeline definition"),
    ([{"Name": "B", "Type": "Processing", "Arguments": {"X": get("Steps.A.ProcessingJobArn")}}],
     "references step 'A', which does not exist"),
    ([{"Name": "A", "Type": "Processing", "Arguments": {}},
      {"Name": "B", "Type": "Processing", "Arguments": {"X": get("Steps.A.ModelArtifacts.S3ModelArtifacts")}}],
     "'ModelArtifacts' is not a member of DescribeProcessingJobResponse"),
    ([{"Name": "A", "Type": "Processing", "Arguments": {"X": get("Parameters.Nope")}}], "parameter 'Nope'"),
    ([{"Name": "A", "Type": "Processing", "Arguments": {}, "DependsOn": ["B"]},
      {"Name": "B", "Type": "Processing", "Arguments": {}, "DependsOn": ["A"]}], "cycle: A -> B -> A"),
    ([{"Name": "Check", "Type": "ClarifyCheck", "Arguments": {}}], "not supported by Sagecraft yet"),
    ([{"Name": "Check", "Type": "QualityCheck", "Arguments": {}, "CheckType": "MODEL_BIAS"}],
     "CheckType must be one of DATA_QUALITY, MODEL_QUALITY"),
])
def test_definitions_that_cannot_run_are_rejected(sm, steps, message):
    name = unique("invalid")
    text = steps if isinstance(steps, str) else definition(steps)
    with pytest.raises(ClientError) as raised:
        sm.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=text)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    with pytest.raises(sm.exceptions.ResourceNotFound):  # nothing was created
        sm.describe_pipeline(PipelineName=name)


def test_update_with_an_invalid_definition_changes_nothing(sm, code):
    name = unique("bad-update")
    text = definition([processing_step("Only", code)])
    create(sm, name, [processing_step("Only", code)])
    with pytest.raises(ClientError, match="does not exist"):
        sm.update_pipeline(PipelineName=name, PipelineDefinition=definition([
            {"Name": "A", "Type": "Processing", "Arguments": {}, "DependsOn": ["Ghost"]}]))
    assert sm.describe_pipeline(PipelineName=name)["PipelineDefinition"] == text


def test_execution_parameters_and_definition(sm, code):
    name = unique("params")
    parameters = [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5},
                  {"Name": "Count", "Type": "Integer", "DefaultValue": 1},
                  {"Name": "Label", "Type": "String", "DefaultValue": "x"}]
    step = processing_step("Only", code, env={"THRESHOLD": {"Std:Join": {"On": "", "Values": [
        get("Parameters.Threshold")]}}, "LABEL": get("Parameters.Label")})
    step["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = get("Parameters.Count")
    create(sm, name, [step], parameters)
    arn = sm.start_pipeline_execution(PipelineName=name, PipelineParameters=[
        {"Name": "Threshold", "Value": "0.75"}, {"Name": "Label", "Value": "chosen"}],
        PipelineExecutionDisplayName="first-run")["PipelineExecutionArn"]
    assert arn.startswith(f"arn:aws:sagemaker:us-east-1:000000000000:pipeline/{name}/execution/")
    listed = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    assert {p["Name"]: p["Value"] for p in listed} == {"Threshold": "0.75", "Count": "1", "Label": "chosen"}
    assert sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)["PipelineDefinition"] == \
        sm.describe_pipeline(PipelineName=name)["PipelineDefinition"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    assert described["PipelineExecutionDisplayName"] == "first-run"
    assert described["PipelineExperimentConfig"] == {"ExperimentName": name, "TrialName": arn.rsplit("/", 1)[-1]}
    (step_run,) = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    job_name = step_run["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    job = sm.describe_processing_job(ProcessingJobName=job_name)
    assert job["Environment"] == {"THRESHOLD": "0.75", "LABEL": "chosen"}
    summaries = sm.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
    assert [s["PipelineExecutionArn"] for s in summaries] == [arn]
    assert summaries[0]["PipelineExecutionStatus"] == "Succeeded"


@pytest.mark.parametrize(("given", "message"), [
    ([{"Name": "Threshold", "Value": "high"}], "cannot take the value 'high'"),
    ([{"Name": "Unknown", "Value": "1"}], "'Unknown' is not defined"),
])
def test_bad_start_parameters_are_rejected(sm, code, given, message):
    name = unique("bad-params")
    create(sm, name, [processing_step("Only", code)], [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}])
    with pytest.raises(ClientError) as raised:
        sm.start_pipeline_execution(PipelineName=name, PipelineParameters=given)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert sm.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"] == []


def test_missing_pipelines_and_executions(sm):
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.start_pipeline_execution(PipelineName=unique("ghost"))
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_pipeline_execution(
            PipelineExecutionArn="arn:aws:sagemaker:us-east-1:000000000000:pipeline/ghost/execution/abcdefabcdef")
