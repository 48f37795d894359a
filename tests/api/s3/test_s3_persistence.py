"""Objects outlive the server: a restart keeps them, and kill -9 in the middle of an upload leaves
neither a partial object nor stray files behind."""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

from boto3.s3.transfer import TransferConfig

MiB = 1024 * 1024


def blob_count(home) -> int:
    return sum(1 for p in (home / "objects" / "blobs").rglob("*") if p.is_file())


def spool_files(home) -> list:
    return [p for p in (home / "tmp").iterdir() if p.name.startswith("upload-")]


def test_objects_survive_a_restart(fresh_server, tmp_path):
    fresh_server.start()
    s3 = fresh_server.client("s3")
    s3.create_bucket(Bucket="kept")
    s3.put_object(Bucket="kept", Key="small.txt", Body=b"small", ContentType="text/plain", Metadata={"a": "1"})
    big = os.urandom(11 * MiB)
    (tmp_path / "big.bin").write_bytes(big)
    s3.upload_file(str(tmp_path / "big.bin"), "kept", "big.bin",
                   Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    pending = s3.create_multipart_upload(Bucket="kept", Key="pending")
    s3.upload_part(Bucket="kept", Key="pending", UploadId=pending["UploadId"], PartNumber=1, Body=b"part")
    etag = s3.head_object(Bucket="kept", Key="big.bin")["ETag"]
    fresh_server.stop()

    fresh_server.start()
    s3 = fresh_server.client("s3")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kept"]
    small = s3.get_object(Bucket="kept", Key="small.txt")
    assert (small["Body"].read(), small["ContentType"], small["Metadata"]) == (b"small", "text/plain", {"a": "1"})
    assert s3.get_object(Bucket="kept", Key="big.bin")["Body"].read() == big
    assert s3.head_object(Bucket="kept", Key="big.bin")["ETag"] == etag
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="kept")["Uploads"]] == [pending["UploadId"]]
    assert [p["PartNumber"] for p in s3.list_parts(Bucket="kept", Key="pending", UploadId=pending["UploadId"])[
        "Parts"]] == [1]


def test_kill_during_a_50_mb_upload_leaves_no_partial_object(fresh_server):
    fresh_server.start()
    home = fresh_server.home
    s3 = fresh_server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket="crash")
    s3.put_object(Bucket="crash", Key="target", Body=b"the old version")
    s3.put_object(Bucket="crash", Key="other", Body=b"unrelated")
    url = urlsplit(s3.generate_presigned_url("put_object", Params={"Bucket": "crash", "Key": "target"}))
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {50 * MiB}\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n".encode())
    chunk = os.urandom(MiB)
    for _ in range(20):  # 20 of the 50 MB announced
        sock.sendall(chunk)
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size >= 10 * MiB for p in spool_files(home)):  # the server is mid-body
        assert time.monotonic() < deadline, "the upload never reached the server's spool"
        time.sleep(0.05)
    fresh_server.kill()
    sock.close()

    fresh_server.start()
    s3 = fresh_server.client("s3")
    assert s3.get_object(Bucket="crash", Key="target")["Body"].read() == b"the old version"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="crash")["Contents"]] == ["other", "target"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="crash")
    assert spool_files(home) == []  # the partial body is gone
    assert blob_count(home) == 2  # one file per object: no orphan
