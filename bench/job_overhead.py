"""Job overhead: what Sagecraft adds around a trivial training job, against running the script directly.

For each run: the time from calling CreateTrainingJob to the entry point's first line (the script
prints time.time() first thing), and from its last line (printed as it exits) until
DescribeTrainingJob answers Completed (polled every few milliseconds). The floor runs the same
script with the same interpreter as a plain subprocess: spawn → first line, last line → exit seen.
Overhead = job time - floor time. Prints JSON lines, then a summary with the p50s the issue sets
goals for (each overhead p50 < 0.5 s).

    .venv/bin/python bench/job_overhead.py [--runs 10]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import start_sagecraft

SCRIPT = """\
import time
print(f"FIRST {time.time():.6f}", flush=True)
total = sum(range(1000))
print(f"LAST {time.time():.6f}", flush=True)
"""
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
POLL = 0.005


def stamps(lines: list[str]) -> tuple[float, float]:
    found = dict(line.split(" ", 1) for line in lines if line.startswith(("FIRST ", "LAST ")))
    return float(found["FIRST"]), float(found["LAST"])


def run_job(clients: dict, bucket: str, source: str, index: int) -> dict:
    sm, logs = clients["sagemaker"], clients["logs"]
    name = f"overhead-{os.getpid()}-{index}"
    created = time.time()
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"'},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    while True:
        status = sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        if status not in ("InProgress", "Stopping"):
            completed = time.time()
            break
        time.sleep(POLL)
    if status != "Completed":
        raise RuntimeError(f"{name} ended {status}")
    (stream,) = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                          logStreamNamePrefix=f"{name}/")["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"],
                                 startFromHead=True)["events"]
    first, last = stamps([e["message"] for e in events])
    return {"to_first_line": first - created, "exit_to_completed": completed - last}


def run_direct(script: Path) -> dict:
    spawned = time.time()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    exited = time.time()
    first, last = stamps(done.stdout.splitlines())
    return {"to_first_line": first - spawned, "exit_to_completed": exited - last}


def p50(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sagecraft-bench-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        script = Path(scratch) / "train.py"
        script.write_text(SCRIPT)
        server, url, keys = start_sagecraft(home)
        try:
            session = boto3.Session(aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name="us-east-1")
            config = Config(retries={"max_attempts": 1})
            clients = {name: session.client(name, endpoint_url=url, config=config)
                       for name in ("sagemaker", "logs", "s3")}
            bucket = "job-overhead"
            clients["s3"].create_bucket(Bucket=bucket)
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
                tar.add(script, arcname="train.py")
            clients["s3"].put_object(Bucket=bucket, Key="source/sourcedir.tar.gz", Body=buffer.getvalue())
            source = f"s3://{bucket}/source/sourcedir.tar.gz"
            run_job(clients, bucket, source, -1)  # warm-up: first imports, namespace probe, log group creation
            run_direct(script)
            results: dict[str, dict[str, list[float]]] = {"sagecraft": {}, "direct": {}}
            for index in range(args.runs):
                for peer, measured in (("sagecraft", run_job(clients, bucket, source, index)),
                                       ("direct", run_direct(script))):
                    print(json.dumps({"bench": "job_overhead", "peer": peer, "run": index,
                                      **{k: round(v, 4) for k, v in measured.items()}}))
                    for key, value in measured.items():
                        results[peer].setdefault(key, []).append(value)
        finally:
            server.stop()
    summary = {"bench": "job_overhead", "summary": True, "runs": args.runs}
    for key in ("to_first_line", "exit_to_completed"):
        job, floor = p50(results["sagecraft"][key]), p50(results["direct"][key])
        summary.update({f"{key}_p50": round(job, 4), f"{key}_floor_p50": round(floor, 4),
                        f"{key}_overhead_p50": round(job - floor, 4)})
    summary["goal_met"] = all(summary[f"{k}_overhead_p50"] < 0.5 for k in ("to_first_line", "exit_to_completed"))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
