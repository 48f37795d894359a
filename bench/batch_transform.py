"""Batch transform: 1,000,000 rows x 30 features through CreateTransformJob, against the floor.

The floor is the peer script ../shared/reference/peers/batch_infer.py (one process: read the CSV,
``inplace_predict``, write the predictions CSV; its pandas and pyarrow variants, the best median
wins; the floor and Sagecraft alternate rep by rep). Sagecraft's time is from calling
CreateTransformJob to DescribeTransformJob answering Completed (polled every 50 ms) — process
start, model load, reading the input object in place, mini-batches
of 6 MB through the built-in XGBoost handler, writing and uploading ``batch_in.csv.out``. Same
booster (the peer's ``train``), same rows (the peer's CSV, without its header line). Every output
row is checked against the booster's own prediction (not timed). Goal (issue 4): ratio <= 2.

    .venv/bin/python bench/batch_transform.py [--reps 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
import numpy as np
import pyarrow.csv as pacsv
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import start_sagecraft

PEER = Path(os.environ.get("SAGECRAFT_PEERS", "/work/shared/reference/peers")) / "batch_infer.py"
FLOOR_VARIANTS = "pandas_c,pandas_pyarrow,pyarrow"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def emit(**values) -> None:
    print(json.dumps(values, default=str), flush=True)


def run_floor(peers_dir: Path, reps: int) -> list[dict]:
    variants = FLOOR_VARIANTS if reps else "none"  # 0: only the peer's data set
    done = subprocess.run(
        [sys.executable, str(PEER), "--reps", str(reps), "--variants", variants],
        env={**os.environ, "PEERS_DIR": str(peers_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for result in results:
        emit(side="floor", **result)
    return [r for r in results if r.get("bench") == "batch"]


def peer_booster():
    spec = importlib.util.spec_from_file_location("batch_infer", PEER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.train([f"f{i}" for i in range(30)])


def transform_once(sm, model: str, source: str, output: str) -> tuple[float, dict]:
    name = f"bench-{time.time_ns()}"
    started = time.perf_counter()
    sm.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=6,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": output, "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    )
    while True:
        described = sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in ("InProgress", "Stopping"):
            return time.perf_counter() - started, described
        time.sleep(0.05)  # a tighter poll costs the shared CPU more than it gains in precision


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--floor-reps", type=int, default=1, help="0: no floor (only the peer's data set)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server home, data)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sagecraft-batch-"))
    # The peer's data set first (no timing); then floor and Sagecraft alternate rep by rep, so a change
    # of the machine's load (it is shared) hits both sides alike.
    run_floor(work / "peers", 0)
    peer_csv = work / "peers" / "data" / "batch_in.csv"
    headerless = work / "batch_in.csv"
    with open(peer_csv, "rb") as source, open(headerless, "wb") as target:
        source.readline()  # the column names: a transform input is data rows only
        while chunk := source.read(1 << 24):
            target.write(chunk)
    booster = peer_booster()
    model_file = work / "xgboost-model"
    booster.save_model(str(work / "model.json"))
    (work / "model.json").rename(model_file)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(model_file, arcname="xgboost-model")

    server, url, (key_id, secret) = start_sagecraft(work / "home")
    try:
        session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        config = Config(retries={"max_attempts": 1})
        s3 = session.client("s3", endpoint_url=url, config=config)
        sm = session.client("sagemaker", endpoint_url=url, config=config)
        s3.create_bucket(Bucket="bench")
        s3.put_object(Bucket="bench", Key="model/model.tar.gz", Body=archive.getvalue())
        s3.upload_file(str(headerless), "bench", "input/batch_in.csv")
        sm.create_model(
            ModelName="bench-xgb",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://bench/model/model.tar.gz"},
        )
        times = []
        floor_times: dict[str, list[float]] = {}
        for rep in range(args.reps):
            for result in run_floor(work / "peers", 1 if args.floor_reps else 0):
                floor_times.setdefault(result["impl"], []).extend(result["times_s"])
            elapsed, described = transform_once(sm, "bench-xgb", "s3://bench/input/", f"s3://bench/output/{rep}")
            assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
            emit(side="sagecraft", rep=rep, time_s=round(elapsed, 3))
            times.append(elapsed)
        body = s3.get_object(Bucket="bench", Key=f"output/{args.reps - 1}/batch_in.csv.out")["Body"].read()
        scores = np.array(body.split(), dtype=np.float64)
        table = pacsv.read_csv(headerless, read_options=pacsv.ReadOptions(autogenerate_column_names=True))
        rows = np.column_stack([c.to_numpy() for c in table.columns]).astype(np.float32)
        expected = booster.inplace_predict(rows)
        assert len(scores) == len(expected), (len(scores), len(expected))
        worst = float(np.max(np.abs(scores - expected)))
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    median = statistics.median(times)
    emit(
        side="sagecraft",
        impl="CreateTransformJob -> Completed (built-in XGBoost, MultiRecord, 6 MB, Line)",
        rows=len(expected),
        times_s=[round(t, 3) for t in times],
        median_s=round(median, 3),
        rows_per_s=round(len(expected) / median),
        max_abs_diff_vs_booster=worst,
    )
    if not floor_times:
        return
    medians = {impl: statistics.median(values) for impl, values in floor_times.items()}
    for impl, values in floor_times.items():
        emit(side="floor", impl=impl, times_s=values, median_s=round(medians[impl], 3))
    best_impl = min(medians, key=medians.__getitem__)
    best = {"impl": best_impl, "median_s": round(medians[best_impl], 3)}
    ratio = median / best["median_s"]
    emit(
        summary="batch_transform",
        sagecraft_median_s=round(median, 3),
        floor=best["impl"],
        floor_median_s=best["median_s"],
        ratio=round(ratio, 2),
        goal="<= 2.0",
        met=ratio <= 2.0,
    )


if __name__ == "__main__":
    main()
