from __future__ import annotations

import uuid

import pytest


def unique_bucket(prefix: str = "s3-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def bucket(s3) -> str:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    return name
