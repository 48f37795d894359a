"""A Tuning step: its job is a hyperparameter tuning job, and TrainingJobSummaries (best first) feed
a later step, as the SDK's ``TuningStep.get_top_model_s3_uri`` builds it."""

from __future__ import annotations

import io
import tarfile
import textwrap
import uuid

import pytest
from pipelines_support import ROLE, create, get, processing_step, steps_by_name, unique, upload_script, wait

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
SCRIPT = """
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--xval", type=float, default=0.5)
    args, _ = parser.parse_known_args()
    open("/opt/ml/model/x.txt", "w").write(str(args.xval))
    print(f"objective={-(args.xval - 0.3) ** 2}")
"""


def _source(s3, bucket: str) -> str:
    data = textwrap.dedent(SCRIPT).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    key = f"source/{uuid.uuid4().hex[:8]}/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


@pytest.mark.slow
def test_a_tuning_step_and_its_best_model(sm, s3, bucket):
    source = _source(s3, bucket)
    tuning = {"Name": "Tune", "Type": "Tuning", "Arguments": {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Grid", "ResourceLimits": {"MaxParallelTrainingJobs": 2},
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "objective"},
            "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "xval", "Values": ["0.1", "0.3"]}]},
            "TrainingJobEarlyStoppingType": "Off"},
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"'},
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": [{"Name": "objective",
                                                              "Regex": r"objective=([-+0-9.eE]+)"}]},
            "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/tuning-output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300}}}}
    best_model = {"Std:Join": {"On": "/", "Values": [
        f"s3://{bucket}/tuning-output", get("Steps.Tune.TrainingJobSummaries[0].TrainingJobName"),
        "output/model.tar.gz"]}}
    use = processing_step("UseBest", upload_script(s3, bucket, "import os\nprint(os.environ['BEST'])\n"),
                          env={"BEST": best_model})
    name = unique("tuning")
    create(sm, name, [tuning, use])
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    described = wait(sm, arn, timeout=300)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = steps_by_name(sm, arn)
    tuning_name = steps["Tune"]["Metadata"]["TuningJob"]["Arn"].rsplit("/", 1)[-1]
    assert len(tuning_name) <= 32
    best = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)["BestTrainingJob"]
    job = sm.describe_processing_job(ProcessingJobName=steps["UseBest"]["Metadata"]["ProcessingJob"]["Arn"]
                                     .rsplit("/", 1)[-1])
    assert job["Environment"]["BEST"] == f"s3://{bucket}/tuning-output/{best['TrainingJobName']}/output/model.tar.gz"
