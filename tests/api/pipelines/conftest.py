from __future__ import annotations

import pytest
from pipelines_support import unique


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = unique("pipelines-test")
    s3.create_bucket(Bucket=name)
    return name
