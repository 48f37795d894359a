"""Deploy, predict and delete through the official SageMaker SDK v2: a built-in-XGBoost model
(trained in the script with xgboost, uploaded as model.tar.gz) served by a real worker process."""

from __future__ import annotations

import textwrap

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

DEPLOY_SCRIPT = textwrap.dedent('''
    import io, json, os, tarfile, tempfile, time
    import boto3
    import sagemaker
    import xgboost as xgb
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer
    from sklearn.datasets import load_breast_cancer

    session = sagemaker.Session()
    bucket = session.default_bucket()
    data = load_breast_cancer()
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data.data, data.target), num_boost_round=10)
    folder = tempfile.mkdtemp()
    booster.save_model(os.path.join(folder, "model.json"))
    with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
        tar.add(os.path.join(folder, "model.json"), arcname="xgboost-model")
    model_data = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket,
                                     key_prefix=os.environ["PREFIX"] + "/model")

    image = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    name = "sdk-" + os.environ["PREFIX"][-20:].replace("_", "-").strip("-")
    model = Model(image_uri=image, model_data=model_data, role="arn:aws:iam::000000000000:role/SageMakerRole",
                  sagemaker_session=session)
    model.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False)
    while True:
        status = session.sagemaker_client.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status != "Creating":
            break
        time.sleep(0.2)
    predictor = Predictor(name, sagemaker_session=session, serializer=CSVSerializer())
    rows = data.data[:4]
    scores = [float(v) for v in predictor.predict(rows).decode().split()]
    expected = [float(v) for v in booster.predict(xgb.DMatrix(rows))]
    predictor.delete_model()
    predictor.delete_endpoint()
    print("RESULT " + json.dumps({"status": status, "scores": scores, "expected": expected, "endpoint": name}))
''')


def test_model_deploy_predict_delete(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    env = exports(result.stdout)
    outcome, _ = run_sdk(DEPLOY_SCRIPT, tmp_path, env, {})
    assert outcome["status"] == "InService"
    assert all(abs(a - b) < 1e-6 for a, b in zip(outcome["scores"], outcome["expected"], strict=True))
    sm = server.client("sagemaker")
    assert outcome["endpoint"] not in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] or \
        sm.describe_endpoint(EndpointName=outcome["endpoint"])["EndpointStatus"] == "Deleting"

