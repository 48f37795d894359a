"""Helpers of the tuning API tests: a tiny script-mode trial, requests, waiting."""

from __future__ import annotations

import copy
import io
import tarfile
import textwrap
import time
import uuid

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
TERMINAL = ("Completed", "Failed", "Stopped")

# objective = -(x - 0.3)^2 - 0.01 n (+ 0.1 when mode is "b"); mode "bad" fails the trial.
SCRIPT = """
    import argparse, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--xval", type=float, default=0.5)
    parser.add_argument("--num", type=int, default=1)
    parser.add_argument("--mode", default="a")
    parser.add_argument("--sleep", type=float, default=0)
    args, _ = parser.parse_known_args()
    time.sleep(args.sleep)
    if args.mode == "bad":
        raise SystemExit("mode bad is not a mode")
    print(f"objective={-(args.xval - 0.3) ** 2 - 0.01 * args.num + (0.1 if args.mode == 'b' else 0.0)}")
"""
METRICS = [{"Name": "objective", "Regex": r"objective=([-+0-9.eE]+)"}]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def upload_source(s3, bucket: str, script: str) -> str:
    data = textwrap.dedent(script).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    key = f"source/{uuid.uuid4().hex[:8]}/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def tuning_request(name: str, bucket: str, source: str, *, strategy: str = "Random", ranges: dict | None = None,
                   max_jobs: int | None = 4, parallel: int = 2, sleep: float = 0, objective: str = "Maximize",
                   **config) -> dict:
    limits = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy, "ResourceLimits": limits,
            "HyperParameterTuningJobObjective": {"Type": objective, "MetricName": "objective"},
            "ParameterRanges": ranges if ranges is not None else {
                "ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0.01", "MaxValue": "0.9",
                                               "ScalingType": "Logarithmic"}],
                "IntegerParameterRanges": [{"Name": "num", "MinValue": "1", "MaxValue": "5"}],
                "CategoricalParameterRanges": [{"Name": "mode", "Values": ["a", "b"]}]},
            "TrainingJobEarlyStoppingType": "Off", **config,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"',
                                      "sleep": str(sleep)},
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": METRICS},
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/tuning-output"},
            "HyperParameterTuningResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                   "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        },
    }


def wait_tuning(sm, name: str, statuses=TERMINAL, timeout: float = 180, check=None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        description = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if description["HyperParameterTuningJobStatus"] in statuses and (check is None or check(description)):
            return description
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: {description}")
        time.sleep(0.2)


def children(sm, name: str, **params) -> list[dict]:
    out, token = [], None
    while True:
        page = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, **params, **({"NextToken": token} if token else {}))
        out += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            return out


def multi_algorithm_request(name: str, bucket: str, source: str, *, max_jobs: int = 4, parallel: int = 2,
                            strategy: str = "Random") -> dict:
    """Two definitions over the same script: "alpha" tunes xval (metric "objective"); "beta" tunes num
    and mode (metric "beta-objective", read from the same line) and takes InstanceConfigs."""
    single = tuning_request(name, bucket, source, strategy=strategy, max_jobs=max_jobs, parallel=parallel)
    config = single["HyperParameterTuningJobConfig"]
    objective, ranges = config.pop("HyperParameterTuningJobObjective"), config.pop("ParameterRanges")
    alpha = {**single.pop("TrainingJobDefinition"), "DefinitionName": "alpha", "TuningObjective": objective,
             "HyperParameterRanges": {"ContinuousParameterRanges": ranges["ContinuousParameterRanges"]}}
    beta = {**copy.deepcopy(alpha), "DefinitionName": "beta",
            "TuningObjective": {"Type": "Maximize", "MetricName": "beta-objective"},
            "HyperParameterRanges": {"IntegerParameterRanges": ranges["IntegerParameterRanges"],
                                     "CategoricalParameterRanges": ranges["CategoricalParameterRanges"]},
            "AlgorithmSpecification": {**alpha["AlgorithmSpecification"], "MetricDefinitions": [
                {"Name": "beta-objective", "Regex": METRICS[0]["Regex"]}]},
            "StaticHyperParameters": {**alpha["StaticHyperParameters"], "xval": "0.3"},
            "HyperParameterTuningResourceConfig": {"AllocationStrategy": "Prioritized", "InstanceConfigs": [
                {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 7},
                {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}]}}
    return {**single, "TrainingJobDefinitions": [alpha, beta]}
