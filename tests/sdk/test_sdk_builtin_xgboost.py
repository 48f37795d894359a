"""The built-in XGBoost algorithm through the official SageMaker SDK v2: an ``Estimator`` on the
image ``image_uris.retrieve("xgboost", region, "1.7-1")``, no entry point. Its metrics reach
FinalMetricDataList and ``training_job_analytics``; early stopping ends it before num_round."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent('''
    import io, json, os, tarfile, tempfile
    import boto3
    import sagemaker
    import xgboost as xgb
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    data = load_breast_cancer(as_frame=True).frame
    data = data[["target"] + [c for c in data.columns if c != "target"]]
    train, rest = train_test_split(data, test_size=0.3, random_state=7, stratify=data["target"])
    validation, test = train_test_split(rest, test_size=0.5, random_state=7, stratify=rest["target"])
    inputs = {}
    for name, part in (("train", train), ("validation", validation)):
        folder = tempfile.mkdtemp()
        part.to_csv(os.path.join(folder, f"{name}.csv"), header=False, index=False)
        uri = session.upload_data(os.path.join(folder, f"{name}.csv"), bucket=bucket, key_prefix=f"{prefix}/{name}")
        inputs[name] = TrainingInput(uri, content_type="text/csv")

    estimator = Estimator(image_uri=image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                          role="arn:aws:iam::000000000000:role/SageMakerRole", instance_count=1,
                          instance_type="ml.m5.xlarge", output_path=f"s3://{bucket}/{prefix}/output")
    estimator.set_hyperparameters(objective="binary:logistic", num_round=300, eta=0.3, max_depth=4,
                                  eval_metric="auc", early_stopping_rounds=10)
    estimator.fit(inputs, logs=True)

    job = estimator.latest_training_job.describe()
    frame = estimator.training_job_analytics.dataframe()
    bucket_name, key = estimator.model_data[len("s3://"):].split("/", 1)
    body = boto3.client("s3").get_object(Bucket=bucket_name, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        model_file = os.path.join(tempfile.mkdtemp(), "xgboost-model")
        open(model_file, "wb").write(tar.extractfile("xgboost-model").read())
    booster = xgb.Booster()
    booster.load_model(model_file)
    print("RESULT " + json.dumps({
        "final": {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]},
        "definitions": [d["Name"] for d in job["AlgorithmSpecification"]["MetricDefinitions"]],
        "analytics": sorted(set(frame["metric_name"])), "rounds": booster.num_boosted_rounds(),
        "auc": roc_auc_score(test["target"], booster.predict(xgb.DMatrix(test.iloc[:, 1:].values))),
    }))
''')


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_builtin_xgboost_estimator(server, sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name, **sdk_env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT "):])

    assert result["final"]["validation:auc"] > 0.95
    assert {"train:auc", "validation:auc"} <= set(result["final"])
    assert "validation:auc" in result["definitions"]  # filled in by the service, as SageMaker does
    assert {"train:auc", "validation:auc"} <= set(result["analytics"])
    assert result["rounds"] < 300  # early stopping kept the best iteration, well before num_round
    assert result["auc"] > 0.95
    # fit(logs=True) printed the rounds as CloudWatch holds them.
    assert "]#011train-auc:" in done.stdout
