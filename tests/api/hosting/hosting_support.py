"""Shared helpers of the hosting API tests: a booster trained in-test, uploaded as model.tar.gz."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from pathlib import Path

import numpy as np

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def train_booster(folder: Path):
    import xgboost
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3}, xgboost.DMatrix(data.data, data.target),
                            num_boost_round=20)
    booster.save_model(str(folder / "model.json"))  # JSON, as the built-in algorithm saves it
    path = (folder / "model.json").rename(folder / "xgboost-model")
    return booster, path, data.data.astype(np.float32)


def upload_tar(s3, bucket: str, key: str, files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def deploy(sm, model_data: str, image: str = XGBOOST_IMAGE, environment: dict | None = None,
           count: int = 1) -> str:
    name = unique("ep")
    container = {"Image": image, "ModelDataUrl": model_data, "Environment": environment or {}}
    sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": count,
        "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def wait_status(sm, name: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sm.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] not in ("Creating", "Updating"):
            return described
        time.sleep(0.2)
    raise TimeoutError(f"endpoint {name} still {described['EndpointStatus']}")


def csv_rows(rows: np.ndarray) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows)
