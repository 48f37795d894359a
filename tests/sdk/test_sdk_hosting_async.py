"""Asynchronous inference through the official SageMaker SDK v2: deploy with an AsyncInferenceConfig,
AsyncPredictor.predict() (upload, InvokeEndpointAsync, wait for the output), predict_async() +
AsyncInferenceResponse.get_result(), and a model error surfacing as AsyncInferenceModelError."""

from __future__ import annotations

import textwrap

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

ASYNC_SCRIPT = textwrap.dedent('''
    import json, os, tarfile, tempfile, time
    import sagemaker
    import xgboost as xgb
    from sagemaker.async_inference import AsyncInferenceConfig, WaiterConfig
    from sagemaker.exceptions import AsyncInferenceModelError
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.predictor_async import AsyncPredictor
    from sagemaker.serializers import CSVSerializer
    from sklearn.datasets import load_breast_cancer

    session = sagemaker.Session()
    bucket = session.default_bucket()
    prefix = os.environ["PREFIX"]
    data = load_breast_cancer()
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data.data, data.target), num_boost_round=10)
    folder = tempfile.mkdtemp()
    booster.save_model(os.path.join(folder, "model.json"))
    with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
        tar.add(os.path.join(folder, "model.json"), arcname="xgboost-model")
    model_data = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket, key_prefix=prefix + "/model")
    name = "async-" + prefix[-20:].replace("_", "-").strip("-")
    model = Model(image_uri=sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                  model_data=model_data, role="arn:aws:iam::000000000000:role/SageMakerRole",
                  sagemaker_session=session)
    config = AsyncInferenceConfig(output_path=f"s3://{bucket}/{prefix}/out",
                                  failure_path=f"s3://{bucket}/{prefix}/failed",
                                  max_concurrent_invocations_per_instance=2)
    model.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False,
                 async_inference_config=config)
    while session.sagemaker_client.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating":
        time.sleep(0.2)
    predictor = AsyncPredictor(Predictor(name, sagemaker_session=session, serializer=CSVSerializer()))
    waiter = WaiterConfig(max_attempts=120, delay=0.5)
    rows = data.data[:3]
    scores = [float(v) for v in predictor.predict(rows, waiter_config=waiter).decode().split()]
    response = predictor.predict_async(data.data[3:5])
    later = [float(v) for v in response.get_result(waiter).decode().split()]
    failed = predictor.predict_async(data.data[:2, :5])
    try:
        failed.get_result(waiter)
        error = None
    except AsyncInferenceModelError as caught:
        error = str(caught)
    expected = [float(v) for v in booster.predict(xgb.DMatrix(data.data[:5]))]
    predictor.delete_model()
    predictor.delete_endpoint()
    print("RESULT " + json.dumps({"scores": scores + later, "expected": expected, "error": error,
                                  "output": response.output_path}))
''')


@pytest.mark.slow
def test_async_predictor_predict_and_get_result(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(ASYNC_SCRIPT, tmp_path, exports(result.stdout), {})
    assert len(outcome["scores"]) == 5
    assert all(abs(a - b) < 1e-6 for a, b in zip(outcome["scores"], outcome["expected"], strict=True))
    assert outcome["output"].endswith(".out") and "/out/" in outcome["output"]
    assert outcome["error"] is not None and "feature" in outcome["error"].lower()
