"""Automatic model tuning through the official SageMaker SDK v2: ``HyperparameterTuner`` over the
built-in XGBoost algorithm on breast-cancer data; best_training_job(), best_estimator() and
analytics().dataframe() read what the trials really reported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

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
    estimator.set_hyperparameters(objective="binary:logistic", num_round=20, eval_metric="auc")
    tuner = HyperparameterTuner(estimator, "validation:auc",
                                {"eta": ContinuousParameter(0.1, 0.5), "max_depth": IntegerParameter(2, 5)},
                                max_jobs=4, max_parallel_jobs=2)
    tuner.fit(inputs)
    best = tuner.best_training_job()
    frame = tuner.analytics().dataframe()
    described = tuner.describe()
    best_estimator = tuner.best_estimator()
    print("RESULT " + json.dumps({
        "status": described["HyperParameterTuningJobStatus"], "best": best,
        "rows": frame[["TrainingJobName", "FinalObjectiveValue", "eta", "max_depth"]].to_dict("records"),
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
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name, **sdk_env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT "):])

    assert result["status"] == "Completed"
    rows = result["rows"]
    assert len(rows) == 4
    for row in rows:
        assert 0.1 <= row["eta"] <= 0.5 and 2 <= row["max_depth"] <= 5
    assert result["best"] == max(rows, key=lambda r: r["FinalObjectiveValue"])["TrainingJobName"]
    assert max(r["FinalObjectiveValue"] for r in rows) > 0.9
    assert result["best_model"].endswith(f"/{result['best']}/output/model.tar.gz")
    assert result["best_instance"] == "ml.m5.xlarge"
