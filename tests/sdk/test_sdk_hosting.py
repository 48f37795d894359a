"""Deploy, predict and delete through the official SageMaker SDK v2: a built-in-XGBoost model
(trained in the script with xgboost, uploaded as model.tar.gz) served by a real worker process,
with data capture; a MultiDataModel of three models under a cache budget of two."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from tests.sdk.test_sdk_jobs import run_sdk
from tests.support.cli import exports, sagecraft

DEPLOY_SCRIPT = textwrap.dedent('''
    import io, json, os, tarfile, tempfile, time
    import boto3
    import sagemaker
    import xgboost as xgb
    from sagemaker.model import Model
    from sagemaker.model_monitor import DataCaptureConfig
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
    capture_uri = f"s3://{bucket}/{os.environ['PREFIX']}/capture"
    capture = DataCaptureConfig(enable_capture=True, sampling_percentage=100, destination_s3_uri=capture_uri,
                                sagemaker_session=session)
    model.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False,
                 data_capture_config=capture)
    while True:
        status = session.sagemaker_client.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status != "Creating":
            break
        time.sleep(0.2)
    predictor = Predictor(name, sagemaker_session=session, serializer=CSVSerializer())
    rows = data.data[:4]
    scores = [float(v) for v in predictor.predict(rows).decode().split()]
    for row in data.data[4:6]:
        predictor.predict(row)
    expected = [float(v) for v in booster.predict(xgb.DMatrix(rows))]
    s3 = boto3.client("s3")
    records = []
    for _ in range(150):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{os.environ['PREFIX']}/capture/{name}/AllTraffic/")
        records = [json.loads(line) for item in listed.get("Contents", [])
                   for line in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()]
        if len(records) >= 3:
            break
        time.sleep(0.2)
    capture_status = session.sagemaker_client.describe_endpoint(EndpointName=name)["DataCaptureConfig"]
    predictor.delete_model()
    predictor.delete_endpoint()
    print("RESULT " + json.dumps({"status": status, "scores": scores, "expected": expected, "endpoint": name,
                                  "records": records, "capture": capture_status["CaptureStatus"]}))
''')


def _worker_pids(home: Path, name: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if b"sagecraft.executors.serving.worker" in cmdline and f"/endpoints/{name}-" in cwd \
                and cwd.startswith(str(home)):
            found.append(int(pid))
    return found


def _no_workers_left(home: Path, name: str) -> bool:
    deadline = time.monotonic() + 30
    while _worker_pids(home, name) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _worker_pids(home, name)


@pytest.mark.slow
def test_model_deploy_predict_delete(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    env = exports(result.stdout)
    outcome, _ = run_sdk(DEPLOY_SCRIPT, tmp_path, env, {})
    assert outcome["status"] == "InService" and outcome["capture"] == "Started"
    assert all(abs(a - b) < 1e-6 for a, b in zip(outcome["scores"], outcome["expected"], strict=True))
    assert len(outcome["records"]) == 3, "one capture record per request"
    first = outcome["records"][0]
    assert first["captureData"]["endpointInput"]["encoding"] == "CSV" and first["eventVersion"] == "0"
    sm = server.client("sagemaker")
    assert outcome["endpoint"] not in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] or \
        sm.describe_endpoint(EndpointName=outcome["endpoint"])["EndpointStatus"] == "Deleting"
    assert _no_workers_left(server.home, outcome["endpoint"]), "delete_endpoint leaves no worker processes"


MULTI_MODEL_SCRIPT = textwrap.dedent('''
    import json, os, tarfile, tempfile, time
    import sagemaker
    import xgboost as xgb
    from sagemaker.multidatamodel import MultiDataModel
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer
    from sklearn.datasets import load_breast_cancer

    session = sagemaker.Session()
    bucket = session.default_bucket()
    prefix = os.environ["PREFIX"]
    data = load_breast_cancer()
    name = "mme-" + prefix[-20:].replace("_", "-").strip("-")
    mdm = MultiDataModel(name=name, model_data_prefix=f"s3://{bucket}/{prefix}/models/",
                         image_uri=sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
                         role="arn:aws:iam::000000000000:role/SageMakerRole", sagemaker_session=session,
                         env={"SAGECRAFT_MME_MAX_MODELS": "2"})
    expected = {}
    for rounds in (1, 2, 3):
        booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data.data, data.target),
                            num_boost_round=rounds)
        folder = tempfile.mkdtemp()
        booster.save_model(os.path.join(folder, "model.json"))
        with tarfile.open(os.path.join(folder, "model.tar.gz"), "w:gz") as tar:
            tar.add(os.path.join(folder, "model.json"), arcname="xgboost-model")
        source = session.upload_data(os.path.join(folder, "model.tar.gz"), bucket=bucket,
                                     key_prefix=f"{prefix}/sources/{rounds}")
        mdm.add_model(model_data_source=source, model_data_path=f"model-{rounds}.tar.gz")
        expected[f"model-{rounds}.tar.gz"] = [float(v) for v in booster.predict(xgb.DMatrix(data.data[:2]))]
    listed = sorted(mdm.list_models())
    mdm.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False)
    while session.sagemaker_client.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating":
        time.sleep(0.2)
    predictor = Predictor(name, sagemaker_session=session, serializer=CSVSerializer())
    results = []
    for target in ("model-1.tar.gz", "model-2.tar.gz", "model-3.tar.gz", "model-1.tar.gz"):
        scores = [float(v) for v in predictor.predict(data.data[:2], target_model=target).decode().split()]
        results.append(max(abs(a - b) for a, b in zip(scores, expected[target])))
    predictor.delete_model()
    predictor.delete_endpoint()
    print("RESULT " + json.dumps({"listed": listed, "errors": results, "endpoint": name}))
''')


@pytest.mark.slow
def test_multi_data_model_routes_by_target(server, tmp_path):
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    outcome, _ = run_sdk(MULTI_MODEL_SCRIPT, tmp_path, exports(result.stdout), {})
    assert outcome["listed"] == ["model-1.tar.gz", "model-2.tar.gz", "model-3.tar.gz"]
    assert all(error < 1e-6 for error in outcome["errors"]), "each target model answered with its own scores"
    assert _no_workers_left(server.home, outcome["endpoint"])

