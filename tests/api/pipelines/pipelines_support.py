"""Helpers of the pipelines API tests: definitions of tiny processing pipelines, waiting."""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
PYTHON_IMAGE = "python:3.8-slim"
TERMINAL = ("Succeeded", "Failed", "Stopped")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def upload_script(s3, bucket: str, script: str, name: str = "step.py") -> str:
    key = f"code/{uuid.uuid4().hex[:8]}/{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=textwrap.dedent(script).encode())
    return f"s3://{bucket}/{key}"


def join(*values: Any, on: str = "/") -> dict:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def get(target: str) -> dict:
    return {"Get": target}


def default_output(bucket: str, pipeline: str, step: str, output: str) -> dict:
    """The SDK's default output URI: s3://bucket/pipeline/<execution id>/step/output/name."""
    return join("s3:/", bucket, pipeline, get("Execution.PipelineExecutionId"), step, "output", output)


def processing_step(name: str, code_uri: str, *, inputs: list | None = None, outputs: dict | None = None,
                    env: dict | None = None, **extra) -> dict:
    """A Processing step running ``code_uri`` with python3; ``outputs`` maps output name → S3 URI expr."""
    arguments: dict[str, Any] = {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": PYTHON_IMAGE, "ContainerEntrypoint": [
            "python3", f"/opt/ml/processing/input/code/{code_uri.rsplit('/', 1)[-1]}"]},
        "RoleArn": ROLE,
        "ProcessingInputs": [*(inputs or []), {
            "InputName": "code", "AppManaged": False,
            "S3Input": {"S3Uri": code_uri, "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
                        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
                        "S3CompressionType": "None"}}],
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    if env:
        arguments["Environment"] = env
    if outputs:
        arguments["ProcessingOutputConfig"] = {"Outputs": [
            {"OutputName": out, "AppManaged": False,
             "S3Output": {"S3Uri": uri, "LocalPath": f"/opt/ml/processing/output/{out}", "S3UploadMode": "EndOfJob"}}
            for out, uri in outputs.items()]}
    return {"Name": name, "Type": "Processing", "Arguments": arguments, **extra}


def s3_input(name: str, uri: Any, local: str) -> dict:
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}


def definition(steps: list[dict], parameters: list[dict] | None = None) -> str:
    return json.dumps({"Version": "2020-12-01", "Metadata": {}, "Parameters": parameters or [],
                       "PipelineExperimentConfig": {"ExperimentName": get("Execution.PipelineName"),
                                                    "TrialName": get("Execution.PipelineExecutionId")},
                       "Steps": steps})


def create(sm, name: str, steps: list[dict], parameters: list[dict] | None = None, **extra) -> str:
    return sm.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=definition(steps, parameters),
                              **extra)["PipelineArn"]


def wait(sm, arn: str, statuses=TERMINAL, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] in statuses:
            return described
        if time.monotonic() > deadline:
            steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
            raise AssertionError(f"{arn} still {described['PipelineExecutionStatus']}: {steps}")
        time.sleep(0.1)


def steps_by_name(sm, arn: str) -> dict[str, dict]:
    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return {s["StepName"]: s for s in listed}
