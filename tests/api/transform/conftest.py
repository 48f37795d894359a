from __future__ import annotations

import pytest
from transform_support import create_model, tar_bytes, train_booster, unique


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("transform-test")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def trained(tmp_path_factory, s3, bucket):
    """(booster, rows) of a built-in-XGBoost model uploaded as model.tar.gz."""
    booster, model, rows = train_booster(tmp_path_factory.mktemp("model"))
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=tar_bytes({"xgboost-model": model}))
    return booster, rows


@pytest.fixture(scope="module")
def builtin_model(sm, bucket, trained) -> str:
    return create_model(sm, f"s3://{bucket}/model/model.tar.gz")
