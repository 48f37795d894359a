"""Helpers of the transform API tests: a booster trained in-test, packed as model.tar.gz, a model
created with the built-in XGBoost image (as tests/api/hosting does), and a poll of DescribeTransformJob."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from pathlib import Path

import numpy as np

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def train_booster(folder: Path):
    import xgboost
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 3}, xgboost.DMatrix(data.data, data.target), num_boost_round=20
    )
    booster.save_model(str(folder / "xgboost-model.json"))
    return booster, (folder / "xgboost-model.json").read_bytes(), data.data.astype(np.float32)


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def create_model(sm, model_data: str, image: str = XGBOOST_IMAGE, environment: dict | None = None) -> str:
    name = unique("tm")
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": image, "ModelDataUrl": model_data, "Environment": environment or {}},
    )
    return name


def csv_rows(rows: np.ndarray) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n"


def start(sm, model: str, source: str, output: str, **extra) -> str:
    name = unique("tj")
    transform_input = {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source}},
        "ContentType": "text/csv",
        "SplitType": "Line",
        **extra.pop("transform_input", {}),
    }
    sm.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        TransformInput=transform_input,
        TransformOutput={"S3OutputPath": output, "AssembleWith": "Line", **extra.pop("transform_output", {})},
        TransformResources=extra.pop("TransformResources", {"InstanceType": "ml.m5.large", "InstanceCount": 1}),
        **extra,
    )
    return name


def wait(sm, name: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in ("InProgress", "Stopping"):
            return described
        time.sleep(0.1)
    raise TimeoutError(f"transform job {name} still {described['TransformJobStatus']}")


def read_lines(s3, bucket: str, key: str) -> list[str]:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
