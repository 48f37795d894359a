"""Multi-algorithm tuning through the SDK: ``HyperparameterTuner.create(estimator_dict=…)`` over two
built-in XGBoost configurations with different ranges, ``fit(inputs={name: …})``; the trials carry
their definition's name, the best is over both, and ``best_estimator()`` is the best one's."""

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
    channels = {}
    for name, part in (("train", train), ("validation", validation)):
        folder = tempfile.mkdtemp()
        part.to_csv(os.path.join(folder, f"{name}.csv"), header=False, index=False)
        uri = session.upload_data(os.path.join(folder, f"{name}.csv"), bucket=bucket, key_prefix=f"{prefix}/{name}")
        channels[name] = TrainingInput(uri, content_type="text/csv")

    def xgboost(instance_type):
        estimator = Estimator(image_uri=image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                              role="arn:aws:iam::000000000000:role/SageMakerRole", instance_count=1,
                              instance_type=instance_type, output_path=f"s3://{bucket}/{prefix}/output")
        estimator.set_hyperparameters(objective="binary:logistic", num_round=10, eval_metric="auc")
        return estimator

    tuner = HyperparameterTuner.create(
        estimator_dict={"shallow": xgboost("ml.m5.large"), "deep": xgboost("ml.m5.xlarge")},
        objective_metric_name_dict={"shallow": "validation:auc", "deep": "validation:auc"},
        hyperparameter_ranges_dict={
            "shallow": {"max_depth": IntegerParameter(1, 2), "eta": ContinuousParameter(0.05, 0.3)},
            "deep": {"max_depth": IntegerParameter(5, 8), "min_child_weight": ContinuousParameter(1, 10)}},
        max_jobs=4, max_parallel_jobs=2, strategy="Random")
    tuner.fit(inputs={"shallow": channels, "deep": channels}, include_cls_metadata={})
    described = tuner.describe()
    frame = tuner.analytics().dataframe()
    best = tuner.best_training_job()
    best_estimator = tuner.best_estimator()
    print("RESULT " + json.dumps({
        "status": described["HyperParameterTuningJobStatus"], "best": best,
        "definitions": sorted(d["DefinitionName"] for d in described["TrainingJobDefinitions"]),
        "best_definition": described["BestTrainingJob"]["TrainingJobDefinitionName"],
        "rows": json.loads(frame.to_json(orient="records")),
        "best_model": best_estimator.model_data, "best_instance": best_estimator.instance_type,
    }))
''')


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_multi_algorithm_tuner_over_two_xgboost_configurations(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name,
                   **sdk_env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT "):])

    assert result["status"] == "Completed"
    assert result["definitions"] == ["deep", "shallow"]
    rows = result["rows"]
    assert sorted(r["TrainingJobDefinitionName"] for r in rows) == ["deep", "deep", "shallow", "shallow"]
    for row in rows:  # each trial sampled its own definition's ranges only
        if row["TrainingJobDefinitionName"] == "shallow":
            assert 1 <= row["max_depth"] <= 2 and 0.05 <= row["eta"] <= 0.3
            assert row.get("min_child_weight") is None
        else:
            assert 5 <= row["max_depth"] <= 8 and 1 <= row["min_child_weight"] <= 10
            assert row.get("eta") is None
    best_row = max(rows, key=lambda r: r["FinalObjectiveValue"])
    assert result["best"] == best_row["TrainingJobName"] and best_row["FinalObjectiveValue"] > 0.9
    assert result["best_definition"] == best_row["TrainingJobDefinitionName"]
    assert result["best_model"].endswith(f"/{result['best']}/output/model.tar.gz")
    assert result["best_instance"] == {"shallow": "ml.m5.large", "deep": "ml.m5.xlarge"}[result["best_definition"]]
