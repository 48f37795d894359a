"""Training and processing jobs recorded as trial components: named ``<job>-aws-training-job`` /
``-aws-processing-job``, sourced from the job, joined to ExperimentConfig's trial, mirroring the
job's status, hyperparameters and final metrics."""

from __future__ import annotations

import io
import tarfile
import textwrap
import time
import uuid

import pytest

pytestmark = pytest.mark.slow

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
TRAIN = """
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float)
    args, _ = parser.parse_known_args()
    print(f"val_loss={1 - args.lr}")
"""
PROCESS = "print('processed')\n"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("experiments-jobs")
    s3.create_bucket(Bucket=name)
    return name


def _upload(s3, bucket: str, files: dict[str, str], key: str) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def _component_when(sm, name: str, status: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_trial_component(TrialComponentName=name)
        if described.get("Status", {}).get("PrimaryStatus") == status:
            return described
        assert time.monotonic() < deadline, described
        time.sleep(0.2)


def _lineage_uris(sm, component_arn: str, direction: str) -> dict[str, str]:
    """SourceUri → artifact type of the artifacts one hop from a component."""
    found = sm.query_lineage(StartArns=[component_arn], Direction=direction, MaxDepth=1)["Vertices"]
    described = [sm.describe_artifact(ArtifactArn=v["Arn"]) for v in found if v.get("LineageType") == "Artifact"]
    return {d["Source"]["SourceUri"]: d["ArtifactType"] for d in described}


def test_training_job_with_experiment_config(sm, s3, bucket):
    experiment, job = unique("exp"), unique("train")
    sm.create_experiment(ExperimentName=experiment)
    source = _upload(s3, bucket, {"train.py": TRAIN}, f"{job}/sourcedir.tar.gz")
    s3.put_object(Bucket=bucket, Key=f"{job}/train/data.csv", Body=b"1,2\n")
    # One artifact stands for a URI: the job's lineage reuses this one (as a job writing it would have made).
    dataset = sm.create_artifact(ArtifactType="DataSet", Source={"SourceUri": f"s3://{bucket}/{job}/train"})[
        "ArtifactArn"
    ]
    trial = unique("trial")  # missing: made for the job, in the experiment
    arn = sm.create_training_job(
        TrainingJobName=job,
        RoleArn=ROLE,
        AlgorithmSpecification={
            "TrainingImage": XGBOOST_IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "val_loss", "Regex": r"val_loss=([0-9.]+)"}],
        },
        HyperParameters={"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"', "lr": "0.25"},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{job}/train"}},
            }
        ],
        StoppingCondition={"MaxRuntimeInSeconds": 120},
        ExperimentConfig={"ExperimentName": experiment, "TrialName": trial, "TrialComponentDisplayName": "Training"},
    )["TrainingJobArn"]
    name = f"{job}-aws-training-job"
    (summary,) = sm.list_trial_components(SourceArn=arn.lower())["TrialComponentSummaries"]
    assert summary["TrialComponentName"] == name
    assert summary["TrialComponentSource"] == {"SourceArn": arn, "SourceType": "SageMakerTrainingJob"}
    assert sm.describe_trial(TrialName=trial)["ExperimentName"] == experiment
    listed = sm.list_trial_components(TrialName=trial)["TrialComponentSummaries"]
    assert [c["TrialComponentName"] for c in listed] == [name]

    described = _component_when(sm, name, "Completed")
    assert described["DisplayName"] == "Training"
    assert described["Parameters"]["lr"] == {"NumberValue": 0.25}
    assert described["Parameters"]["SageMaker.InstanceType"] == {"StringValue": "ml.m5.large"}
    assert described["OutputArtifacts"]["SageMaker.ModelArtifact"]["Value"].endswith("model.tar.gz")
    (metric,) = [m for m in described["Metrics"] if m["MetricName"] == "val_loss"]
    assert metric["Last"] == 0.75 and metric["SourceArn"] == arn
    job_description = sm.describe_training_job(TrainingJobName=job)
    assert described["EndTime"] == job_description["TrainingEndTime"]
    found = sm.search(
        Resource="ExperimentTrialComponent",
        SearchExpression={"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment}]},
    )["Results"]
    assert [r["TrialComponent"]["Source"]["SourceArn"] for r in found] == [arn]
    component_arn = described["TrialComponentArn"]
    assert _lineage_uris(sm, component_arn, "Ascendants") == {f"s3://{bucket}/{job}/train": "DataSet"}
    incoming = sm.list_associations(DestinationArn=component_arn)["AssociationSummaries"]
    assert [(a["SourceArn"], a["AssociationType"]) for a in incoming] == [(dataset, "ContributedTo")]
    model = described["OutputArtifacts"]["SageMaker.ModelArtifact"]["Value"]
    assert _lineage_uris(sm, component_arn, "Descendants") == {model: "Model"}


def test_processing_job_without_experiment_config_is_recorded_unassigned(sm, s3, bucket):
    job = unique("process")
    key = f"code/{job}/process.py"
    s3.put_object(Bucket=bucket, Key=key, Body=PROCESS.encode())
    arn = sm.create_processing_job(
        ProcessingJobName=job,
        RoleArn=ROLE,
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}
        },
        AppSpecification={
            "ImageUri": "python:3.8-slim",
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/process.py"],
        },
        ProcessingInputs=[
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/{key}",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/{job}/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        StoppingCondition={"MaxRuntimeInSeconds": 120},
    )["ProcessingJobArn"]
    name = f"{job}-aws-processing-job"
    described = _component_when(sm, name, "Completed")
    assert described["Source"] == {"SourceArn": arn, "SourceType": "SageMakerProcessingJob"}
    assert described["InputArtifacts"]["code"]["Value"] == f"s3://{bucket}/{key}"
    assert sm.list_trials(TrialComponentName=name)["TrialSummaries"] == []
    assert described["OutputArtifacts"] == {"out": {"Value": f"s3://{bucket}/{job}/out"}}
    component_arn = described["TrialComponentArn"]
    assert _lineage_uris(sm, component_arn, "Ascendants") == {f"s3://{bucket}/{key}": "DataSet"}
    assert _lineage_uris(sm, component_arn, "Descendants") == {f"s3://{bucket}/{job}/out": "DataSet"}
