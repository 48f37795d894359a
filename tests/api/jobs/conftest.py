from __future__ import annotations

import pytest
from jobs_support import unique


@pytest.fixture(scope="module")
def sm(server):
    return server.client("sagemaker")


@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture
def bucket(s3) -> str:
    name = unique("jobs-test")
    s3.create_bucket(Bucket=name)
    return name
