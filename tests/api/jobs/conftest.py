from __future__ import annotations

import pytest
from jobs_support import unique


@pytest.fixture
def bucket(s3) -> str:
    name = unique("jobs-test")
    s3.create_bucket(Bucket=name)
    return name
