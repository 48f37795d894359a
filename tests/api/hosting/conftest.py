from __future__ import annotations

import pytest
from hosting_support import train_booster, unique, upload_tar


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("hosting-test")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def trained(tmp_path_factory, s3, bucket):
    """(booster, features, model_data_url) of a built-in-style XGBoost model."""
    booster, path, features = train_booster(tmp_path_factory.mktemp("model"))
    url = upload_tar(s3, bucket, "model/model.tar.gz", {"xgboost-model": path.read_bytes()})
    return booster, features, url
