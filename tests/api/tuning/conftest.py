from __future__ import annotations

import pytest
from tuning_support import SCRIPT, unique, upload_source


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("tuning-test")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def source(s3, bucket) -> str:
    return upload_source(s3, bucket, SCRIPT)
