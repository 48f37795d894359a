"""Clients and helpers of the feature store suites."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(scope="module")
def featurestore(server):
    return server.client("sagemaker-featurestore-runtime")


@pytest.fixture(scope="module")
def glue(server):
    return server.client("glue")


@pytest.fixture(scope="module")
def athena(server):
    return server.client("athena")


@pytest.fixture(scope="module")
def offline_bucket(s3):
    name = f"fs-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
