"""Pipeline orchestration overhead: what the pipelines engine adds around its steps' jobs.

A 20-step pipeline of trivial processing steps (python3 running one line), run two ways: a chain
(each step DependsOn the previous) and 4 parallel branches of 5 chained steps. For each execution,
from the server's own timestamps: the wall time (CreationTime of the execution → the end of its last
step), the jobs' own time on the critical path (each job's CreationTime → ProcessingEndTime, summed
along the chain / the slowest branch), and the orchestration time = wall - jobs, per step of the
critical path. No peer runs SageMaker Pipelines (moto stores pipelines but executes nothing), so
there is no side-by-side run: the goals are absolute (< 0.2 s per step; parallel <= 0.6 x chain).

    .venv/bin/python bench/pipeline_overhead.py [--reps 3] [--steps 20] [--branches 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import start_sagecraft

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "python:3.8-slim"


def step(name: str, code: str, after: str | None) -> dict:
    # A job that fails with an internal error (the executor's fault, not the step's) is retried once,
    # as a user would configure it; the retries are counted in the output.
    retry = [{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    return {"Name": name, "Type": "Processing", "RetryPolicies": retry, **({"DependsOn": [after]} if after else {}),
            "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 5}},
        "AppSpecification": {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/step.py"]},
        "RoleArn": ROLE,
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": code, "LocalPath": "/opt/ml/processing/code", "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "StoppingCondition": {"MaxRuntimeInSeconds": 300}}}


def definition(code: str, steps: int, branches: int) -> tuple[str, list[list[str]]]:
    """``branches`` chains of steps/branches steps each; returns the definition and the chains."""
    chains, items = [], []
    per_branch = steps // branches
    for branch in range(branches):
        names = [f"B{branch}S{index}" for index in range(per_branch)]
        chains.append(names)
        items += [step(name, code, names[i - 1] if i else None) for i, name in enumerate(names)]
    return json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": items}), chains


def run(sm, name: str) -> dict:
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    while sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Executing":
        time.sleep(0.05)
    described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn, MaxResults=100)["PipelineExecutionSteps"]
    jobs = {}
    retries = sum(item["AttemptCount"] - 1 for item in steps)
    for item in steps:
        job = sm.describe_processing_job(ProcessingJobName=item["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1])
        jobs[item["StepName"]] = (job["CreationTime"].timestamp(), job["ProcessingEndTime"].timestamp())
    return {"start": described["CreationTime"].timestamp(), "end": max(e for _, e in jobs.values()),
            "finished": described["LastModifiedTime"].timestamp(), "jobs": jobs, "retries": retries}


def measure(result: dict, chains: list[list[str]]) -> dict:
    """Wall time, the jobs' own time on the critical path, and the gaps the engine leaves in each chain
    (execution start → first job, each job's end → the next one's creation, last job → execution end)."""
    jobs = result["jobs"]
    wall = result["finished"] - result["start"]
    critical = max(sum(jobs[n][1] - jobs[n][0] for n in chain) for chain in chains)
    gaps = []
    for chain in chains:
        marks = [result["start"], *[t for n in chain for t in jobs[n]], result["finished"]]
        gaps.append(sum(marks[i + 1] - marks[i] for i in range(0, len(marks), 2)))
    depth = len(chains[0])
    return {"wall_s": round(wall, 3), "jobs_on_critical_path_s": round(critical, 3),
            "orchestration_s": round(wall - critical, 3), "per_step_s": round((wall - critical) / depth, 3),
            "gap_per_step_s": round(max(gaps) / depth, 3), "retries": result["retries"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--branches", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-pipelines-")) / "home"
    server, url, (key, secret) = start_sagecraft(home)
    try:
        session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
        sm = session.client("sagemaker", endpoint_url=url, config=Config(retries={"max_attempts": 1}))
        s3 = session.client("s3", endpoint_url=url)
        bucket = f"bench-pipelines-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="code/step.py", Body=b"print('step')\n")
        code = f"s3://{bucket}/code/step.py"
        shapes = {"chain": 1, "parallel": args.branches}
        chains = {}
        for shape, branches in shapes.items():
            text, chains[shape] = definition(code, args.steps, branches)
            sm.create_pipeline(PipelineName=f"bench-{shape}", RoleArn=ROLE, PipelineDefinition=text)
        run(sm, "bench-chain")  # warm-up: the first job of a runtime pays for its set-up
        results: dict[str, list[dict]] = {shape: [] for shape in shapes}
        for _ in range(args.reps):
            for shape in shapes:
                measured = measure(run(sm, f"bench-{shape}"), chains[shape])
                results[shape].append(measured)
                print(json.dumps({"shape": shape, **measured}), flush=True)
        summary = {shape: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                   for shape, rows in results.items()}
        ratio = summary["parallel"]["wall_s"] / summary["chain"]["wall_s"]
        print(json.dumps({"summary": summary, "parallel_over_chain": round(ratio, 3),
                          "goal_per_step_s": 0.2, "goal_parallel_over_chain": 0.6}, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
