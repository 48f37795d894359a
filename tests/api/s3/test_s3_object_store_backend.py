"""S3ObjectStore, the cluster backend, against a real S3-compatible endpoint: a Sagecraft server.
The store contract runs on it, and a second server serves the S3 API from it."""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest
from boto3.s3.transfer import TransferConfig

from sagecraft.storage.objects.factory import open_object_store
from sagecraft.storage.objects.s3 import S3ObjectStore
from tests.support.server import ServerProcess, free_port
from tests.unit.storage.store_contract import ObjectStoreContract


def backend_uri(server, prefix: str = "") -> str:
    key, secret = server.keys
    return f"s3://{quote(key, safe='')}:{quote(secret, safe='')}@127.0.0.1:{server.port}/{prefix}?scheme=http"


@pytest.fixture
def store(server):
    opened = open_object_store(backend_uri(server))
    assert isinstance(opened, S3ObjectStore)
    yield opened
    opened.close()


class TestS3ObjectStore(ObjectStoreContract):
    pass


def test_buckets_map_to_prefixed_backend_buckets(server):
    prefix = f"p{uuid.uuid4().hex[:6]}-"
    store = open_object_store(backend_uri(server, prefix))
    store.create_bucket("mapped", "us-east-1")
    backend = server.client("s3")
    assert f"{prefix}mapped" in [b["Name"] for b in backend.list_buckets()["Buckets"]]
    assert [b.name for b in store.list_buckets()] == ["mapped"]
    store.delete_bucket("mapped")
    store.close()


def test_a_server_on_the_s3_backend(server, tmp_path):
    home = tmp_path / "front"
    home.mkdir()
    front = ServerProcess(home, free_port(), extra_env={"SAGECRAFT_OBJECT_STORE": backend_uri(server, "front-")})
    front.start()
    try:
        s3 = front.client("s3")
        s3.create_bucket(Bucket="through")
        s3.put_object(Bucket="through", Key="dir/a b.txt", Body=b"via the backend", Metadata={"k": "v"},
                      ServerSideEncryption="aws:kms")
        got = s3.get_object(Bucket="through", Key="dir/a b.txt", ChecksumMode="ENABLED")
        assert got["Body"].read() == b"via the backend" and got["Metadata"] == {"k": "v"}
        assert got["ServerSideEncryption"] == "aws:kms"
        data = os.urandom(11 * 1024 * 1024)
        (tmp_path / "data.bin").write_bytes(data)
        s3.upload_file(str(tmp_path / "data.bin"), "through", "big.bin",
                       Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
        assert s3.get_object(Bucket="through", Key="big.bin", Range="bytes=5-9")["Body"].read() == data[5:10]
        assert [p["Prefix"] for p in s3.list_objects_v2(Bucket="through", Delimiter="/")["CommonPrefixes"]] == ["dir/"]
        backend = server.client("s3")
        assert backend.get_object(Bucket="front-through", Key="big.bin")["Body"].read() == data
    finally:
        front.stop()
