"""Helpers of the feature store suites."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROLE = "arn:aws:iam::000000000000:role/FeatureStoreRole"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def definitions(**types: str) -> list[dict]:
    return [{"FeatureName": name, "FeatureType": kind} for name, kind in types.items()]


def wait_status(sm, name: str, pending: str = "Creating") -> dict:
    for _ in range(300):
        described = sm.describe_feature_group(FeatureGroupName=name)
        if described["FeatureGroupStatus"] != pending:
            return described
        time.sleep(0.05)
    raise AssertionError(f"{name} stayed {pending}")


def create_group(
    sm,
    name: str,
    *,
    online: dict | None = None,
    offline_bucket: str | None = None,
    event_type: str = "Fractional",
    extra: dict | None = None,
    **kwargs,
) -> dict:
    request = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "id",
        "EventTimeFeatureName": "et",
        "FeatureDefinitions": definitions(id="String", et=event_type, n="Integral", x="Fractional", s="String"),
        "OnlineStoreConfig": online if online is not None else {"EnableOnlineStore": True},
        "RoleArn": ROLE,
        **(extra or {}),
        **kwargs,
    }
    if offline_bucket:
        request["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": f"s3://{offline_bucket}/offline"}}
    sm.create_feature_group(**request)
    return wait_status(sm, name)


def record(**values: str) -> list[dict]:
    return [{"FeatureName": k, "ValueAsString": v} for k, v in values.items()]


def as_dict(found: list[dict]) -> dict:
    return {f["FeatureName"]: f.get("ValueAsString", f.get("ValueAsStringList")) for f in found}


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A real redis-server on a free port (Debian's package), persisting as the store needs; skips
    the test when the binary is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
