"""Serial inference pipelines: a scikit-learn preprocessor (its own inference.py) feeding the
built-in XGBoost container; Direct mode with TargetContainerHostname."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from botocore.exceptions import ClientError
from hosting_support import ROLE, XGBOOST_IMAGE, csv_rows, unique, upload_tar, wait_status

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
PREPROCESS = b"""
import io
import pickle

import numpy as np


def model_fn(model_dir):
    with open(f"{model_dir}/scaler.pkl", "rb") as f:
        return pickle.load(f)


def input_fn(body, content_type):
    return np.loadtxt(io.StringIO(body.decode()), delimiter=",", ndmin=2)


def predict_fn(data, scaler):
    return scaler.transform(data)


def output_fn(prediction, accept):
    return "\\n".join(",".join(repr(float(v)) for v in row) for row in prediction), "text/csv"
"""


@pytest.fixture(scope="module")
def pipeline_model(s3, bucket, tmp_path_factory):
    import xgboost
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    scaler = StandardScaler().fit(data.data)
    scaled = scaler.transform(data.data)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3}, xgboost.DMatrix(scaled, data.target),
                            num_boost_round=10)
    folder = tmp_path_factory.mktemp("pipeline")
    booster.save_model(str(folder / "model.json"))
    buffer = io.BytesIO()
    pickle.dump(scaler, buffer)
    preprocess = upload_tar(s3, bucket, "pipeline/pre/model.tar.gz", {"scaler.pkl": buffer.getvalue()})
    source = upload_tar(s3, bucket, "pipeline/pre/sourcedir.tar.gz", {"inference.py": PREPROCESS})
    xgb = upload_tar(s3, bucket, "pipeline/xgb/model.tar.gz", {"xgboost-model": (folder / "model.json").read_bytes()})
    containers = [
        {"Image": SKLEARN_IMAGE, "ModelDataUrl": preprocess, "ContainerHostname": "preprocess",
         "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source,
                         "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}},
        {"Image": XGBOOST_IMAGE, "ModelDataUrl": xgb, "ContainerHostname": "xgboost"},
    ]
    expected = booster.predict(xgboost.DMatrix(scaler.transform(data.data[:5])))
    return containers, data.data[:5].astype(np.float32), expected, scaler


def _deploy(sm, containers, **model) -> str:
    name = unique("pipe")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, Containers=containers, **model)
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def test_serial_pipeline_gives_the_pipelines_result(sm, runtime, pipeline_model):
    containers, rows, expected, _ = pipeline_model
    name = _deploy(sm, containers)
    described = wait_status(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert [i["SpecifiedImage"] for i in described["ProductionVariants"][0]["DeployedImages"]] == \
        [SKLEARN_IMAGE, XGBOOST_IMAGE]
    assert len(sm.describe_model(ModelName=name)["Containers"]) == 2
    reply = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows))
    scores = [float(v) for v in reply["Body"].read().decode().split()]
    assert np.allclose(scores, expected, atol=1e-6)
    with pytest.raises(ClientError) as excinfo:  # the preprocessor's own failure, named
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ModelError" and "preprocess" in error["Message"]
    assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows[:1]))
    sm.delete_endpoint(EndpointName=name)


@pytest.mark.slow
def test_direct_mode_invokes_the_container_named(sm, runtime, pipeline_model):
    containers, rows, expected, scaler = pipeline_model
    name = _deploy(sm, containers, InferenceExecutionConfig={"Mode": "Direct"})
    assert wait_status(sm, name)["EndpointStatus"] == "InService"
    scaled = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows),
                                     TargetContainerHostname="preprocess")["Body"].read().decode()
    assert np.allclose(np.loadtxt(io.StringIO(scaled), delimiter=","), scaler.transform(rows), atol=1e-5)
    scores = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=scaled,
                                     TargetContainerHostname="xgboost")["Body"].read().decode()
    assert np.allclose([float(v) for v in scores.split()], expected, atol=1e-5)
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=scaled,
                                TargetContainerHostname="nope")
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
    sm.delete_endpoint(EndpointName=name)


def test_model_package_containers_are_refused_without_a_registry(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.create_model(ModelName=unique("pkg"), ExecutionRoleArn=ROLE, Containers=[
            {"ModelPackageName": "arn:aws:sagemaker:us-east-1:000000000000:model-package/g/1"}])
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
