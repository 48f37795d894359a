"""Batch transform through the official SageMaker SDK v2: ``Transformer.transform(data,
content_type='text/csv', split_type='Line', join_source='Input')`` of a built-in-XGBoost model
(trained in the script, packed as model.tar.gz) and of an XGBoost framework model with its own
``inference.py``; every output row is the input row plus the booster's own prediction."""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

SCRIPT = textwrap.dedent("""
    import json, os, tarfile, tempfile, time
    import numpy as np
    import sagemaker
    import xgboost as xgb
    from sagemaker.model import Model
    from sagemaker.transformer import Transformer
    from sagemaker.xgboost import XGBoostModel
    from sklearn.datasets import load_breast_cancer

    ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
    session = sagemaker.Session()
    bucket, prefix = session.default_bucket(), os.environ["PREFIX"]
    data = load_breast_cancer()
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4}, xgb.DMatrix(data.data, data.target), 30)
    folder = tempfile.mkdtemp()
    booster.save_model(os.path.join(folder, "model.json"))
    with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
        tar.add(os.path.join(folder, "model.json"), arcname="xgboost-model")
    model_data = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket, key_prefix=f"{prefix}/model")

    rows = int(os.environ["ROWS"])
    rng = np.random.default_rng(0)
    features = data.data[rng.integers(0, len(data.data), rows)] * (1 + 0.05 * rng.standard_normal((rows, 30)))
    features = features.astype(np.float32)
    with open(os.path.join(folder, "rows.csv"), "w") as out:
        np.savetxt(out, features, delimiter=",", fmt="%.7g")
    source = session.upload_data(os.path.join(folder, "rows.csv"), bucket=bucket, key_prefix=f"{prefix}/input")
    expected = booster.predict(xgb.DMatrix(np.loadtxt(os.path.join(folder, "rows.csv"), delimiter=",", ndmin=2)))
    inputs = open(os.path.join(folder, "rows.csv")).read().splitlines()

    def check(output_path):
        key = output_path[len(f"s3://{bucket}/"):] + "/rows.csv.out"
        lines = session.read_s3_file(bucket, key).splitlines()
        assert len(lines) == rows, (len(lines), rows)
        worst = 0.0
        for line, row, score in zip(lines, inputs, expected):
            joined, _, prediction = line.rpartition(",")
            assert joined == row, (joined, row)
            worst = max(worst, abs(float(prediction) - float(score)))
        return worst

    image = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    builtin = Model(image_uri=image, model_data=model_data, role=ROLE, sagemaker_session=session)
    transformer = builtin.transformer(instance_count=1, instance_type="ml.m5.xlarge", strategy="MultiRecord",
                                      assemble_with="Line", output_path=f"s3://{bucket}/{prefix}/out-builtin")
    transformer.transform(source, content_type="text/csv", split_type="Line", join_source="Input", wait=True,
                          logs=False)
    builtin_status = transformer.sagemaker_session.describe_transform_job(
        transformer.latest_transform_job.name)["TransformJobStatus"]
    builtin_error = check(transformer.output_path)

    with open(os.path.join(folder, "inference.py"), "w") as script:
        script.write("import os\\nimport xgboost as xgb\\n\\n"
                     "def model_fn(model_dir):\\n"
                     "    booster = xgb.Booster()\\n"
                     "    booster.load_model(os.path.join(model_dir, 'xgboost-model'))\\n"
                     "    return booster\\n\\n"
                     "def predict_fn(data, model):\\n"
                     "    return model.predict(xgb.DMatrix(data))\\n")
    framework = XGBoostModel(model_data=model_data, role=ROLE, entry_point="inference.py", source_dir=folder,
                             framework_version="1.7-1", sagemaker_session=session)
    framework.name = "fw-" + prefix[-20:].replace("_", "-").strip("-")
    framework._create_sagemaker_model(instance_type="ml.m5.xlarge")
    by_name = Transformer(model_name=framework.name, instance_count=1, instance_type="ml.m5.xlarge",
                          assemble_with="Line", output_path=f"s3://{bucket}/{prefix}/out-framework",
                          sagemaker_session=session)
    by_name.transform(source, content_type="text/csv", split_type="Line", join_source="Input", wait=False)
    name = by_name.latest_transform_job.name
    while True:
        described = session.sagemaker_client.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(0.2)
    framework_error = check(by_name.output_path)
    print("RESULT " + json.dumps({"builtin": builtin_status, "builtin_error": builtin_error,
                                  "framework": described["TransformJobStatus"],
                                  "reason": described.get("FailureReason"), "framework_error": framework_error}))
""")


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def run(tmp_path, sdk_env, rows: int) -> dict:
    outcome, _ = run_sdk(SCRIPT, tmp_path, {**sdk_env, "ROWS": str(rows)}, {})
    assert outcome["builtin"] == "Completed"
    assert outcome["framework"] == "Completed", outcome["reason"]
    assert outcome["builtin_error"] <= 1e-6
    assert outcome["framework_error"] <= 1e-6
    return outcome


@pytest.mark.slow
def test_transformer_joins_predictions_to_input_rows(sdk_env, tmp_path):
    run(tmp_path, sdk_env, 2_000)


@pytest.mark.slow
def test_transformer_on_100000_rows(sdk_env, tmp_path):
    run(tmp_path, sdk_env, 100_000)
