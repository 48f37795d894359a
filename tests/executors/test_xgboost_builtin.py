"""The built-in XGBoost algorithm end to end: a real training process on breast-cancer data, its log
parsed by the jobs service's metric collector, its model loaded back into xgboost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sagecraft.executors.base import Outcome
from sagecraft.executors.local import LocalExecutor, LocalExecutorConfig
from sagecraft.executors.runtimes import RuntimeRegistry
from sagecraft.executors.workloads import training_spec
from sagecraft.services.jobs.metrics import MetricCollector, builtin_metric_definitions
from tests.support.datasets import breast_cancer, write_csv, write_libsvm, write_parquet

pytestmark = pytest.mark.slow

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
DATA = breast_cancer()
WRITERS = {"text/csv": (write_csv, "csv"), "text/libsvm": (write_libsvm, "libsvm"),
           "application/x-parquet": (write_parquet, "parquet")}


def stage(root: Path, hyperparameters: dict[str, str], content_type: str = "text/csv",
          channels: tuple[str, ...] = ("train", "validation")) -> list[dict]:
    """Channel files under root/input/data; returns the job's InputDataConfig."""
    write, extension = WRITERS[content_type]
    for name in channels:
        write(root / "input" / "data" / name / f"{name}.{extension}", DATA[name])
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(json.dumps({c: {"ContentType": content_type} for c in channels}))
    return [{"ChannelName": c, "ContentType": content_type} for c in channels]


def run_module(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sagecraft.executors.algorithms.xgboost_builtin", "--ml-root",
                           str(root)], capture_output=True, text=True, timeout=300)


def collect(lines: list[str]) -> dict[str, float]:
    collector = MetricCollector(builtin_metric_definitions(IMAGE))
    for number, line in enumerate(lines):
        collector.feed(line, 1_700_000_000_000 + number)
    return {m["MetricName"]: m["Value"] for m in collector.final_metric_data_list()}


def rounds(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[") and "\t" in line]


def auc_on_test_rows(model_file: Path) -> float:
    import xgboost as xgb
    from sklearn.metrics import roc_auc_score

    booster = xgb.Booster()
    booster.load_model(str(model_file))
    return roc_auc_score(DATA["test"].labels, booster.predict(xgb.DMatrix(DATA["test"].features)))


HPS = {"num_round": "200", "objective": "binary:logistic", "eval_metric": "logloss,auc", "eta": "0.3",
       "max_depth": "4", "early_stopping_rounds": "10"}


def test_csv_through_the_executor_as_the_jobs_service_runs_it(tmp_path):
    """The image resolves to the bundled algorithm; the executor (isolation none here) runs it."""
    runtime = RuntimeRegistry.load(home=tmp_path).resolve(IMAGE)
    instance = tmp_path / "instance"
    channels = stage(instance, HPS)
    spec = training_spec(job_name="xgb-builtin", instance_dir=instance, runtime=runtime, hyperparameters=HPS,
                         input_data_config=channels, instance_type="ml.m5.large")
    assert spec.argv[1:] == ("-m", "sagecraft.executors.algorithms.xgboost_builtin")
    executor = LocalExecutor(LocalExecutorConfig(root=tmp_path / "executor", isolation="none"))
    handle = executor.start(spec)
    status = handle.wait(300)
    lines = [line.text for line in handle.read_log()[0]]
    assert status.outcome is Outcome.COMPLETED, "\n".join(lines[-20:])

    metrics = collect(lines)
    assert metrics["validation:auc"] > 0.95
    assert {"train:logloss", "train:auc", "validation:logloss"} <= set(metrics)
    done = rounds(lines)
    assert 10 < len(done) < 200  # early stopping stopped it before num_round
    assert any(line.startswith("Stopping. Best iteration") for line in lines)
    model = instance / "model" / "xgboost-model"
    assert auc_on_test_rows(model) > 0.95
    assert not (instance / "output" / "failure").exists()


def test_in_namespaces_with_a_private_opt_ml(executor, tmp_path):
    """The production path: /opt/ml is the instance folder inside the sandbox (skips without root)."""
    runtime = RuntimeRegistry.load(home=tmp_path).resolve(IMAGE)
    instance = tmp_path / "instance"
    hps = {**HPS, "num_round": "20"}
    spec = training_spec(job_name="xgb-ns", instance_dir=instance, runtime=runtime, hyperparameters=hps,
                         input_data_config=stage(instance, hps), instance_type="ml.m5.large")
    handle = executor.start(spec)
    status = handle.wait(300)
    lines = [line.text for line in handle.read_log()[0]]
    assert status.outcome is Outcome.COMPLETED, "\n".join(lines[-20:])
    assert collect(lines)["validation:auc"] > 0.95
    assert (instance / "model" / "xgboost-model").exists()


@pytest.mark.parametrize("content_type", ["text/libsvm", "application/x-parquet"])
def test_libsvm_and_parquet_channels(tmp_path, content_type):
    if content_type == "application/x-parquet":
        pytest.importorskip("pyarrow", reason="Parquet channels need pyarrow in the runtime")
    stage(tmp_path, {**HPS, "num_round": "30"}, content_type, channels=("train", "validation", "test"))
    done = run_module(tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert collect(lines)["validation:auc"] > 0.95
    assert "\ttest-auc:" in rounds(lines)[-1]  # a test channel is evaluated too
    assert (tmp_path / "model" / "xgboost-model").stat().st_size > 0


def test_multiclass_with_custom_metrics(tmp_path):
    labels = (DATA["train"].features[:, 0] > np.median(DATA["train"].features[:, 0])).astype(int)
    labels += DATA["train"].labels.astype(int)  # three classes: 0, 1, 2
    write_csv(tmp_path / "input" / "data" / "train" / "t.csv", type(DATA["train"])(DATA["train"].features, labels))
    config = tmp_path / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(
        {"num_round": "5", "objective": "multi:softprob", "num_class": "3", "eval_metric": "mlogloss,accuracy,f1"}))
    (config / "inputdataconfig.json").write_text(json.dumps({"train": {"ContentType": "csv"}}))
    done = run_module(tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = collect(done.stdout.splitlines())
    assert metrics["train:accuracy"] > 0.8 and {"train:f1", "train:mlogloss"} <= set(metrics)


@pytest.mark.parametrize("hyperparameters, reason", [
    ({"objective": "binary:logistic"}, "ClientError: Missing required hyperparameter: num_round"),
    ({"num_round": "10", "eta": "1.5"}, "ClientError: Hyperparameter eta: 1.5 is not in [0, 1]"),
    ({"num_round": "10", "silent": "1"}, "ClientError: Extraneous hyperparameter found: silent"),
    ({"num_round": "ten"}, "ClientError: Hyperparameter num_round: could not parse value"),
])
def test_bad_hyperparameters_fail_with_the_reason_in_the_failure_file(tmp_path, hyperparameters, reason):
    stage(tmp_path, hyperparameters)
    done = run_module(tmp_path)
    assert done.returncode != 0
    assert (tmp_path / "output" / "failure").read_text().startswith(reason)
    assert reason in done.stderr
    assert not (tmp_path / "model" / "xgboost-model").exists()


def test_unreadable_data_fails_as_the_users(tmp_path):
    stage(tmp_path, {"num_round": "5"})
    (tmp_path / "input" / "data" / "train" / "train.csv").write_text("label,a,b\n1,2,3\n")
    done = run_module(tmp_path)
    assert done.returncode != 0
    failure = (tmp_path / "output" / "failure").read_text()
    assert failure.startswith("ClientError: Failed to load csv data")


def test_checkpoints_let_a_restarted_job_resume(tmp_path):
    stage(tmp_path, {"num_round": "12", "objective": "binary:logistic"})
    (tmp_path / "input" / "config" / "checkpointconfig.json").write_text(
        json.dumps({"LocalPath": "/opt/ml/checkpoints", "S3Uri": "s3://b/c"}))
    first = run_module(tmp_path)
    assert first.returncode == 0, first.stderr
    kept = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert kept == ["xgboost-checkpoint.10", "xgboost-checkpoint.11"]
    (tmp_path / "checkpoints" / "xgboost-checkpoint.11").unlink()  # as if interrupted after round 10
    second = run_module(tmp_path)
    assert second.returncode == 0, second.stderr
    assert [line.split("\t")[0] for line in rounds(second.stdout.splitlines())] == ["[11]"]
    assert "Resuming from checkpoint" in second.stdout
