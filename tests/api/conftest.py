"""Clients of the session's server, shared by the API suites (module-scoped: cheap to reuse)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sm(server):
    return server.client("sagemaker")


@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture(scope="module")
def runtime(server):
    return server.client("sagemaker-runtime")
