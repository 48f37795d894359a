"""Automatic model tuning through the official SageMaker SDK v2: the issue's acceptance run
(``HyperparameterTuner`` over the built-in XGBoost algorithm on breast-cancer data, 2 trials in
parallel, early stopping Auto) where best_training_job(), best_estimator() and analytics().dataframe()
read what the trials really reported; Hyperband and warm start.

The first test is the issue's acceptance run as specified: 12 trials (MAX_JOBS), 2 in parallel,
early stopping Auto, eta 0.01-0.5 logarithmic, max_depth 2-8, min_child_weight 1-10. It takes minutes
on the shared machine (docs/tuning.md records a run), hence slow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow
MAX_JOBS = 12  # the max_jobs

SCRIPT = textwrap.dedent('''
    import json, os, tempfile
    import sagemaker
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    data = load_breast_cancer(as_frame=True).frame
    data = data[["target"] + [c for c in data.columns if c != "target"]]
    train, validation = train_test_split(data, test_size=0.3, random_state=7, stratify=data["target"])
    inputs = {}
    for name, part in (("train", train), ("validation", validation)):
        folder = tempfile.mkdtemp()
        part.to_csv(os.path.join(folder, f"{name}.csv"), header=False, index=False)
        uri = session.upload_data(os.path.join(folder, f"{name}.csv"), bucket=bucket, key_prefix=f"{prefix}/{name}")
        inputs[name] = TrainingInput(uri, content_type="text/csv")

    estimator = Estimator(image_uri=image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                          role="arn:aws:iam::000000000000:role/SageMakerRole", instance_count=1,
                          instance_type="ml.m5.xlarge", output_path=f"s3://{bucket}/{prefix}/output")
    estimator.set_hyperparameters(objective="binary:logistic", num_round=30, eval_metric="auc")
    tuner = HyperparameterTuner(estimator, objective_metric_name="validation:auc", hyperparameter_ranges={
        "eta": ContinuousParameter(0.01, 0.5, scaling_type="Logarithmic"), "max_depth": IntegerParameter(2, 8),
        "min_child_weight": ContinuousParameter(1, 10)}, max_jobs=int(os.environ["MAX_JOBS"]), max_parallel_jobs=2,
        early_stopping_type="Auto")
    tuner.fit(inputs)
    best = tuner.best_training_job()
    frame = tuner.analytics().dataframe()
    described = tuner.describe()
    best_estimator = tuner.best_estimator()
    print("RESULT " + json.dumps({
        "status": described["HyperParameterTuningJobStatus"], "best": best,
        "rows": frame[["TrainingJobName", "TrainingJobStatus", "FinalObjectiveValue", "eta", "max_depth",
                       "min_child_weight"]].to_dict("records"),
        "counters": described["TrainingJobStatusCounters"],
        "best_model": best_estimator.model_data, "best_instance": best_estimator.instance_type,
    }))
''')


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_hyperparameter_tuner_over_builtin_xgboost(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name,
                   "MAX_JOBS": str(MAX_JOBS), **sdk_env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT "):])

    assert result["status"] == "Completed"
    rows = result["rows"]
    assert len(rows) == MAX_JOBS
    for row in rows:
        assert 0.01 <= row["eta"] <= 0.5 and 2 <= row["max_depth"] <= 8 and 1 <= row["min_child_weight"] <= 10
    counters = result["counters"]  # early stopping Auto: poor trials may end Stopped, none fails
    assert counters["Completed"] + counters["Stopped"] == MAX_JOBS
    assert counters["Stopped"] == sum(1 for r in rows if r["TrainingJobStatus"] == "Stopped")
    assert result["best"] == max(rows, key=lambda r: r["FinalObjectiveValue"])["TrainingJobName"]
    assert max(r["FinalObjectiveValue"] for r in rows) > 0.9
    assert result["best_model"].endswith(f"/{result['best']}/output/model.tar.gz")
    assert result["best_instance"] == "ml.m5.xlarge"


EPOCHS = textwrap.dedent('''
    import argparse, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float)
    parser.add_argument("--epochs", type=int)
    args, _ = parser.parse_known_args()
    for epoch in range(1, args.epochs + 1):
        print(f"epoch {epoch} objective={args.quality * (1 - 0.5 ** epoch):.6f}", flush=True)
        time.sleep(0.5)
''')

HYPERBAND_SCRIPT = textwrap.dedent('''
    import json, uuid
    from sagemaker.tuner import (ContinuousParameter, HyperbandStrategyConfig, HyperparameterTuner, StrategyConfig,
                                 WarmStartConfig, WarmStartTypes)
    from sagemaker.xgboost import XGBoost

    estimator = XGBoost(entry_point="epochs.py", framework_version="1.7-1", instance_count=1,
                        instance_type="ml.m5.large", role="arn:aws:iam::000000000000:role/SageMakerRole",
                        hyperparameters={"epochs": 9})
    metrics = [{"Name": "objective", "Regex": "objective=([0-9.]+)"}]
    ranges = {"quality": ContinuousParameter(0, 1)}
    tag = uuid.uuid4().hex[:8]
    hyperband = HyperparameterTuner(
        estimator, "objective", ranges, metrics, strategy="Hyperband", max_jobs=9, max_parallel_jobs=1, random_seed=3,
        strategy_config=StrategyConfig(HyperbandStrategyConfig(min_resource=1, max_resource=9)))
    hyperband.fit(job_name=f"hb-{tag}")
    hyperband.wait()
    frame = hyperband.analytics().dataframe()

    warm = HyperparameterTuner(
        estimator, "objective", ranges, metrics, max_jobs=2, max_parallel_jobs=2,
        warm_start_config=WarmStartConfig(WarmStartTypes.IDENTICAL_DATA_AND_ALGORITHM, parents={f"hb-{tag}"}))
    warm.fit(job_name=f"warm-{tag}")
    warm.wait()
    described = warm.describe()
    print("RESULT " + json.dumps({
        "hyperband": hyperband.describe(), "rows": frame[["TrainingJobName", "TrainingJobStatus",
                                                          "FinalObjectiveValue"]].to_dict("records"),
        "warm": described, "warm_rows": warm.analytics().dataframe()[["TrainingJobName", "FinalObjectiveValue"]]
        .to_dict("records"), "best": warm.best_training_job(),
    }, default=str))
''')


def test_hyperband_and_warm_start_through_the_sdk(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(HYPERBAND_SCRIPT)
    (tmp_path / "epochs.py").write_text(EPOCHS)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), **sdk_env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT "):])

    hyperband = result["hyperband"]
    assert hyperband["HyperParameterTuningJobStatus"] == "Completed"
    assert hyperband["HyperParameterTuningJobConfig"]["Strategy"] == "Hyperband"
    rows = result["rows"]
    assert len(rows) == 9
    stopped = [r for r in rows if r["TrainingJobStatus"] == "Stopped"]
    assert stopped and hyperband["TrainingJobStatusCounters"]["Stopped"] == len(stopped)
    assert hyperband["ObjectiveStatusCounters"]["Succeeded"] == 9

    warm = result["warm"]
    assert warm["HyperParameterTuningJobStatus"] == "Completed"
    assert warm["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    everything = rows + result["warm_rows"]
    best = max(everything, key=lambda r: r["FinalObjectiveValue"])
    assert warm["OverallBestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert result["best"] == max(result["warm_rows"], key=lambda r: r["FinalObjectiveValue"])["TrainingJobName"]
