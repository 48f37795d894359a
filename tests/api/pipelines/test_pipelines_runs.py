"""Executions: data dependencies, parallel branches, conditions on PropertyFiles, Fail steps, failed
jobs, and the Model / RegisterModel steps (through the control plane, as a client calls it)."""

from __future__ import annotations

import io
import json
import re
import tarfile

import pytest
from pipelines_support import (
    ROLE,
    create,
    default_output,
    get,
    processing_step,
    s3_input,
    steps_by_name,
    unique,
    upload_script,
    wait,
)

WRITE = """
    import os
    os.makedirs("/opt/ml/processing/output/data", exist_ok=True)
    open("/opt/ml/processing/output/data/rows.csv", "w").write("1,2\\n3,4\\n")
"""
READ = """
    import os
    print("inputs:", sorted(os.listdir("/opt/ml/processing/input/data")))
    assert os.listdir("/opt/ml/processing/input/data") == ["rows.csv"]
"""
EVALUATE = """
    import json, os
    auc = float(os.environ["AUC"])
    os.makedirs("/opt/ml/processing/output/evaluation", exist_ok=True)
    json.dump({"metrics": {"auc": {"value": auc}}}, open("/opt/ml/processing/output/evaluation/evaluation.json", "w"))
"""


def _job(sm, step: dict) -> dict:
    return sm.describe_processing_job(ProcessingJobName=step["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1])


def test_a_step_consumes_the_output_of_another(sm, s3, bucket):
    name = unique("chain")
    write, read = upload_script(s3, bucket, WRITE), upload_script(s3, bucket, READ)
    output = get("Steps.Produce.ProcessingOutputConfig.Outputs['data'].S3Output.S3Uri")
    create(sm, name, [
        processing_step("Consume", read, inputs=[s3_input("data", output, "/opt/ml/processing/input/data")]),
        processing_step("Produce", write, outputs={"data": default_output(bucket, name, "Produce", "data")}),
    ])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert [s["StepName"] for s in listed] == ["Consume", "Produce"]  # the most recent first
    produce, consume = _job(sm, listed[1]), _job(sm, listed[0])
    execution_id = arn.rsplit("/", 1)[-1]
    uri = produce["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert uri == f"s3://{bucket}/{name}/{execution_id}/Produce/output/data"
    assert consume["ProcessingInputs"][0]["S3Input"]["S3Uri"] == uri
    assert re.fullmatch(rf"pipelines-{execution_id}-Produce-[a-z0-9]{{10}}", produce["ProcessingJobName"])
    assert all(s["StepStatus"] == "Succeeded" and s["AttemptCount"] == 1 for s in listed)


@pytest.mark.parametrize("parallel", [None, 1])
def test_independent_steps_run_in_parallel_up_to_the_limit(sm, s3, bucket, tmp_path, parallel):
    """Each step waits until both have started (or, one at a time, gives up waiting): overlapping
    jobs prove parallelism without timing anything."""
    script = f"""
        import os, time
        mine = os.path.join({str(tmp_path)!r}, os.environ["ME"])
        open(mine, "w").close()
        other = os.path.join({str(tmp_path)!r}, os.environ["OTHER"])
        for _ in range(200 if {parallel!r} is None else 10):
            if os.path.exists(other):
                break
            time.sleep(0.05)
        open(mine + ".saw", "w").write(str(os.path.exists(other)))
    """
    code = upload_script(s3, bucket, script)
    name = unique("parallel")
    create(sm, name, [processing_step("Left", code, env={"ME": "left", "OTHER": "right"}),
                      processing_step("Right", code, env={"ME": "right", "OTHER": "left"})])
    extra = {"ParallelismConfiguration": {"MaxParallelExecutionSteps": parallel}} if parallel else {}
    arn = sm.start_pipeline_execution(PipelineName=name, **extra)["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    saw = {(tmp_path / f"{side}.saw").read_text() for side in ("left", "right")}
    assert saw == ({"True"} if parallel is None else {"False", "True"})


@pytest.fixture(scope="module")
def evaluation_pipeline(sm, s3, bucket) -> str:
    """Evaluate writes evaluation.json (a PropertyFile); a Condition on JsonGet(metrics.auc.value) >=
    Threshold runs Register (a processing step here) or the Fail step."""
    name = unique("evaluate")
    evaluate = processing_step("Evaluate", upload_script(s3, bucket, EVALUATE),
                               env={"AUC": {"Std:Join": {"On": "", "Values": [get("Parameters.Auc")]}}},
                               outputs={"evaluation": default_output(bucket, name, "Evaluate", "evaluation")},
                               PropertyFiles=[{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation",
                                               "FilePath": "evaluation.json"}])
    json_get = {"Std:JsonGet": {"PropertyFile": get("Steps.Evaluate.PropertyFiles.EvaluationReport"),
                                "Path": "metrics.auc.value"}}
    condition = {"Name": "CheckAUC", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": json_get,
                        "RightValue": get("Parameters.Threshold")}],
        "IfSteps": [processing_step("Register", upload_script(s3, bucket, "print('registering')\n"))],
        "ElseSteps": [{"Name": "AucTooLow", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {
            "On": " ", "Values": ["AUC below", get("Parameters.Threshold")]}}}}]}}
    create(sm, name, [evaluate, condition], [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.7},
                                             {"Name": "Auc", "Type": "Float", "DefaultValue": 0.9}])
    return name


def test_the_condition_takes_the_if_branch(sm, evaluation_pipeline):
    arn = sm.start_pipeline_execution(PipelineName=evaluation_pipeline, PipelineParameters=[
        {"Name": "Auc", "Value": "0.91"}])["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = steps_by_name(sm, arn)
    assert set(steps) == {"Evaluate", "CheckAUC", "Register"}
    assert steps["CheckAUC"]["Metadata"] == {"Condition": {"Outcome": "True"}}


def test_the_condition_takes_the_else_branch_and_the_fail_step_fails_the_execution(sm, evaluation_pipeline):
    arn = sm.start_pipeline_execution(PipelineName=evaluation_pipeline, PipelineParameters=[
        {"Name": "Auc", "Value": "0.6"}, {"Name": "Threshold", "Value": "0.65"}])["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "AUC below 0.65"
    steps = steps_by_name(sm, arn)
    assert set(steps) == {"Evaluate", "CheckAUC", "AucTooLow"}
    assert steps["CheckAUC"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["AucTooLow"]["StepStatus"] == "Failed"
    assert steps["AucTooLow"]["Metadata"] == {"Fail": {"ErrorMessage": "AUC below 0.65"}}
    summary = sm.list_pipeline_executions(PipelineName=evaluation_pipeline)["PipelineExecutionSummaries"][0]
    assert summary["PipelineExecutionFailureReason"] == "AUC below 0.65"


def test_a_failed_job_fails_its_execution_and_nothing_after_it_runs(sm, s3, bucket):
    name = unique("failing")
    broken = upload_script(s3, bucket, "raise SystemExit('the data is bad')\n")
    create(sm, name, [processing_step("Broken", broken),
                      processing_step("After", upload_script(s3, bucket, "print(1)\n"), DependsOn=["Broken"])])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    steps = steps_by_name(sm, arn)
    assert set(steps) == {"Broken"}
    assert steps["Broken"]["StepStatus"] == "Failed"
    assert "the data is bad" in steps["Broken"]["FailureReason"]
    assert "Broken" in described["FailureReason"] and "the data is bad" in described["FailureReason"]


def _model_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"not really a model"
        info = tarfile.TarInfo("model.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_model_and_register_model_steps(sm, s3, bucket):
    s3.put_object(Bucket=bucket, Key="models/model.tar.gz", Body=_model_tarball())
    group = unique("group")
    sm.create_model_package_group(ModelPackageGroupName=group)
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    container = {"Image": image, "Environment": {}, "ModelDataUrl": f"s3://{bucket}/models/model.tar.gz"}
    name = unique("models")
    create(sm, name, [
        {"Name": "CreateModel-CreateModel", "Type": "Model", "Arguments": {
            "ExecutionRoleArn": ROLE, "PrimaryContainer": container}},
        {"Name": "RegisterModel-RegisterModel", "Type": "RegisterModel", "Arguments": {
            "ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {"Containers": [container], "SupportedContentTypes": ["text/csv"],
                                       "SupportedResponseMIMETypes": ["text/csv"]},
            "ModelMetrics": {"Bias": {}, "Explainability": {}}, "SkipModelValidation": "None"}},
    ])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    described = wait(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = steps_by_name(sm, arn)
    model_arn = steps["CreateModel-CreateModel"]["Metadata"]["Model"]["Arn"]
    model = sm.describe_model(ModelName=model_arn.rsplit("/", 1)[-1])
    assert model["PrimaryContainer"]["ModelDataUrl"] == container["ModelDataUrl"]
    package_arn = steps["RegisterModel-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == group


def test_a_step_whose_call_is_rejected_fails_with_the_reason(sm, s3, bucket):
    name = unique("rejected")
    step = processing_step("NoBucket", upload_script(s3, bucket, "print(1)\n"),
                           outputs={"out": "s3://no-such-bucket-for-pipelines/out"})
    create(sm, name, [step])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Failed"
    failed = steps_by_name(sm, arn)["NoBucket"]
    assert failed["StepStatus"] == "Failed" and failed["FailureReason"].startswith("ValidationException")
    assert json.dumps(failed["Metadata"]) == "{}"  # no job was made
