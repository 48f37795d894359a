"""Tuning benchmark: search efficiency, parallel speed-up and the tuning service's own overhead.

One fixed problem: the built-in XGBoost algorithm (``validation:auc``, 30 rounds) on a synthetic
binary classification set (sklearn ``make_classification``, 3 000 rows, seed 0), tuning eta
(1e-4..1, log), max_depth (1..12), min_child_weight (1..100, log) and subsample (0.2..1).

1. (run second) Trials to target: for each seed, a Bayesian and a Random tuning job (RandomSeed = seed, 2 in
   parallel, at most ``--max-trials``, TargetObjectiveMetricValue = TARGET_AUC) run until a trial
   reaches the target; "trials needed" is the launch index of the first that did (censored at the
   cap). Median over the seeds. The peer is Optuna alone, in this process, with the same samplers
   and the same objective (xgboost trained directly): what the samplers do without Sagecraft.
2. (run first) Parallel speed-up: wall time (CreateHyperParameterTuningJob → Describe says Completed) of the
   same 8-trial Random job at MaxParallelTrainingJobs 2 and 1.
3. Overhead per trial: in the parallel-1 run, (tuning wall time - the sum of the trials' own
   lifetimes, CreationTime → TrainingEndTime of each training job) / trials: the gaps the tuning
   service adds between and around trials.

Prints JSON lines, then a summary with the issue's goals (Bayesian needs fewer trials; parallel 2
≤ 0.6x parallel 1; overhead < 0.3 s per trial).

    .venv/bin/python bench/tuning.py [--seeds 5] [--max-trials 20] [--trials 8]
"""

from __future__ import annotations

import argparse
import io
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

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
TARGET_AUC = 0.908  # about the 94th percentile of random configurations of this problem
ROUNDS = 30
RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.0001", "MaxValue": "1", "ScalingType": "Logarithmic"},
        {"Name": "min_child_weight", "MinValue": "1", "MaxValue": "100", "ScalingType": "Logarithmic"},
        {"Name": "subsample", "MinValue": "0.2", "MaxValue": "1"}],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "12"}],
}


def dataset():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    features, labels = make_classification(n_samples=3000, n_features=20, n_informative=6, n_redundant=4,
                                           flip_y=0.08, class_sep=0.8, random_state=0)
    return train_test_split(features, labels, test_size=0.3, random_state=0)


def upload(s3, bucket: str) -> dict[str, str]:
    import numpy as np

    train_x, valid_x, train_y, valid_y = dataset()
    uris = {}
    for channel, x, y in (("train", train_x, train_y), ("validation", valid_x, valid_y)):
        buffer = io.StringIO()
        np.savetxt(buffer, np.column_stack([y, x]), delimiter=",", fmt="%.6g")
        s3.put_object(Bucket=bucket, Key=f"data/{channel}/{channel}.csv", Body=buffer.getvalue().encode())
        uris[channel] = f"s3://{bucket}/data/{channel}/"
    return uris


def tuning_request(name: str, bucket: str, uris: dict[str, str], strategy: str, seed: int, max_jobs: int,
                   parallel: int, target: float | None) -> dict:
    config = {
        "Strategy": strategy, "RandomSeed": seed,
        "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs, "MaxParallelTrainingJobs": parallel},
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ParameterRanges": RANGES, "TrainingJobEarlyStoppingType": "Off",
    }
    if target is not None:
        config["TuningJobCompletionCriteria"] = {"TargetObjectiveMetricValue": target}
    channels = [{"ChannelName": channel, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}
        for channel, uri in uris.items()]
    return {
        "HyperParameterTuningJobName": name, "HyperParameterTuningJobConfig": config,
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": str(ROUNDS),
                                      "nthread": "1"},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE, "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
            "HyperParameterTuningResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                   "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }


def run_tuning(sm, request: dict) -> tuple[float, dict, list[dict]]:
    """(wall seconds from create to Completed as a client sees it, description, trials by launch order)."""
    name = request["HyperParameterTuningJobName"]
    started = time.monotonic()
    sm.create_hyper_parameter_tuning_job(**request)
    while True:
        description = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if description["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            wall = time.monotonic() - started
            break
        time.sleep(0.02)
    trials, token = [], None
    while True:
        page = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, MaxResults=100, **({"NextToken": token} if token else {}))
        trials += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    trials.sort(key=lambda t: t["TrainingJobName"])  # {name}-NNN-xxxxxxxx: launch order
    return wall, description, trials


def trials_needed(values: list[float | None], target: float) -> int | None:
    return next((i + 1 for i, v in enumerate(values) if v is not None and v >= target), None)


def optuna_peer(strategy: str, seed: int, max_trials: int) -> int | None:
    """The same search with Optuna alone: xgboost trained in this process, no server."""
    import optuna
    import xgboost as xgb

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train_x, valid_x, train_y, valid_y = dataset()
    train, valid = xgb.DMatrix(train_x, train_y), xgb.DMatrix(valid_x, valid_y)

    def objective(trial) -> float:
        params = {"objective": "binary:logistic", "eval_metric": "auc", "nthread": 1,
                  "eta": trial.suggest_float("eta", 1e-4, 1, log=True),
                  "min_child_weight": trial.suggest_float("min_child_weight", 1, 100, log=True),
                  "subsample": trial.suggest_float("subsample", 0.2, 1.0),
                  "max_depth": trial.suggest_int("max_depth", 1, 12)}
        result: dict = {}
        xgb.train(params, train, ROUNDS, evals=[(valid, "validation")], evals_result=result, verbose_eval=False)
        return result["validation"]["auc"][-1]

    sampler = (optuna.samplers.TPESampler(seed=seed, n_startup_trials=5) if strategy == "Bayesian"
               else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for index in range(max_trials):
        study.optimize(objective, n_trials=1)
        if study.trials[-1].value >= TARGET_AUC:
            return index + 1
    return None


def median_needed(found: list[int | None], cap: int) -> float:
    return statistics.median(n if n is not None else cap + 1 for n in found)  # censored runs count as cap + 1


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-trials", type=int, default=20)
    parser.add_argument("--trials", type=int, default=8, help="trials of the parallel speed-up runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tuning-") as home:
        server, url, (key, secret) = start_sagecraft(Path(home))
        try:
            session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
            config = Config(retries={"max_attempts": 2}, read_timeout=120)
            sm = session.client("sagemaker", endpoint_url=url, config=config)
            s3 = session.client("s3", endpoint_url=url, config=config)
            bucket = f"bench-tuning-{uuid.uuid4().hex[:8]}"
            s3.create_bucket(Bucket=bucket)
            uris = upload(s3, bucket)
            summary = measure(sm, bucket, uris, args)
        finally:
            server.stop()
    emit({"summary": summary})


def measure(sm, bucket: str, uris: dict[str, str], args: argparse.Namespace) -> dict:
    walls: dict[int, float] = {}
    overhead = None
    for parallel in (2, 1):  # first: the cheaper part
        name = f"b-par{parallel}-{uuid.uuid4().hex[:6]}"
        wall, description, trials = run_tuning(sm, tuning_request(name, bucket, uris, "Random", 0, args.trials,
                                                                   parallel, None))
        walls[parallel] = wall
        own = sum((t["TrainingEndTime"] - t["CreationTime"]).total_seconds() for t in trials)
        emit({"part": "parallel", "parallel": parallel, "trials": len(trials), "wall_s": round(wall, 2),
              "trials_own_s": round(own, 2), "status": description["HyperParameterTuningJobStatus"]})
        if parallel == 1:
            overhead = (wall - own) / len(trials)
    needed: dict[str, list[int | None]] = {"Bayesian": [], "Random": []}
    peer: dict[str, list[int | None]] = {"Bayesian": [], "Random": []}
    for seed in range(args.seeds):
        for strategy in ("Bayesian", "Random"):
            name = f"b-{strategy[:3].lower()}-{seed}-{uuid.uuid4().hex[:6]}"
            wall, description, trials = run_tuning(sm, tuning_request(name, bucket, uris, strategy, seed,
                                                                       args.max_trials, 2, TARGET_AUC))
            values = [(t.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value") for t in trials]
            found = trials_needed(values, TARGET_AUC)
            needed[strategy].append(found)
            peer_found = optuna_peer(strategy, seed, args.max_trials)
            peer[strategy].append(peer_found)
            emit({"part": "trials-to-target", "strategy": strategy, "seed": seed, "sagecraft": found,
                  "optuna_alone": peer_found, "launched": len(trials), "wall_s": round(wall, 2),
                  "best": max((v for v in values if v is not None), default=None)})
    cap = args.max_trials
    bayesian, random = median_needed(needed["Bayesian"], cap), median_needed(needed["Random"], cap)
    return {
        "target_auc": TARGET_AUC, "seeds": args.seeds, "cap": cap,
        "median_trials_bayesian": bayesian, "median_trials_random": random,
        "optuna_alone_median_bayesian": median_needed(peer["Bayesian"], cap),
        "optuna_alone_median_random": median_needed(peer["Random"], cap),
        "parallel2_over_parallel1": round(walls[2] / walls[1], 3),
        "overhead_per_trial_s": round(overhead, 3) if overhead is not None else None,
        "goals": {"bayesian_fewer": bayesian < random, "parallel_ratio_le_0.6": walls[2] / walls[1] <= 0.6,
                  "overhead_lt_0.3s": overhead is not None and overhead < 0.3},
    }

if __name__ == "__main__":
    main()
