"""Objects through boto3 against a real server: round trips, odd keys, ranges, conditional
requests, deletes, copies, and bad input that must change nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import socket
import urllib.request
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.unit.storage.store_contract import ODD_KEYS

KEYS_WITH_TRAPS = ["with space", "unicode-é-日本語", "../escape", "a/../b", "100%", "a+b", "a%2Fb", "q?x=1&y",
                   "semi;colon", "dir/sub dir/file.txt", "emoji-😀", "tilde~", "/leading", "trailing/"]


def error_of(excinfo) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def keys_in(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_round_trip_with_metadata_and_headers(s3, bucket):
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    put = s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello world", ContentType="text/plain",
                        Metadata={"Color": "blue", "x": "1"}, CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="doc.txt"', ContentLanguage="en", Expires=expires)
    assert put["ETag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'
    assert put["ServerSideEncryption"] == "AES256"  # S3 encrypts every object unless told otherwise
    got = s3.get_object(Bucket=bucket, Key="doc.txt")
    assert got["Body"].read() == b"hello world"
    assert got["ContentType"] == "text/plain" and got["ContentLength"] == 11
    assert got["Metadata"] == {"color": "blue", "x": "1"}
    assert got["CacheControl"] == "max-age=60" and got["ContentLanguage"] == "en"
    assert got["ContentDisposition"] == 'attachment; filename="doc.txt"'
    assert got["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert got["ETag"] == put["ETag"] and got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="doc.txt")
    assert head["ContentLength"] == 11 and head["Metadata"] == got["Metadata"] and head["ETag"] == put["ETag"]
    assert head["LastModified"] == got["LastModified"]


def test_default_content_type_and_kms_encryption_reported(server, s3, bucket):
    kms = server.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    alias = f"alias/mine-{bucket[-8:]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key_arn  # S3 names the key by ARN
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "binary/octet-stream"
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn


@pytest.mark.parametrize("key", KEYS_WITH_TRAPS + ODD_KEYS)
def test_keys_with_traps_round_trip(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert keys_in(s3, bucket) == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert keys_in(s3, bucket) == []


def test_missing_key_and_bucket(s3, bucket):
    with pytest.raises(s3.exceptions.NoSuchKey) as missing:
        s3.get_object(Bucket=bucket, Key="missing/key")
    assert error_of(missing) == ("NoSuchKey", 404)
    assert missing.value.response["Error"]["Key"] == "missing/key"
    assert missing.value.response["Error"]["Message"] == "The specified key does not exist."
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="missing/key")
    assert error_of(head) == ("404", 404)
    with pytest.raises(s3.exceptions.NoSuchBucket) as no_bucket:
        s3.get_object(Bucket="no-such-bucket-here", Key="k")
    assert no_bucket.value.response["Error"]["BucketName"] == "no-such-bucket-here"
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x")


def test_range_gets(s3, bucket):
    data = bytes(range(256)) * 40  # 10,240 bytes
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    cases = {"bytes=0-9": (0, 9), "bytes=100-": (100, len(data) - 1), "bytes=-25": (len(data) - 25, len(data) - 1),
             "bytes=10000-99999": (10000, len(data) - 1), "bytes=-99999": (0, len(data) - 1)}
    for header, (start, end) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, header
        assert got["ContentRange"] == f"bytes {start}-{end}/{len(data)}"
        assert got["ContentLength"] == end - start + 1
        assert got["Body"].read() == data[start:end + 1]
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-9")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206 and head["ContentLength"] == 10
    for ignored in ("bytes=abc", "bytes=5-2", "items=0-1", "bytes=0-1,5-6"):  # S3 ignores these: whole object
        got = s3.get_object(Bucket=bucket, Key="r", Range=ignored)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200 and got["Body"].read() == data
    with pytest.raises(ClientError) as beyond:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=20000-")
    assert error_of(beyond) == ("InvalidRange", 416)
    assert beyond.value.response["Error"]["ActualObjectSize"] == str(len(data))
    assert beyond.value.response["Error"]["RangeRequested"] == "bytes=20000-"


def test_conditional_gets(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    before, after = modified - dt.timedelta(days=1), modified + dt.timedelta(seconds=1)

    def status(**conditions) -> int | str:
        try:
            return s3.get_object(Bucket=bucket, Key="c", **conditions)["ResponseMetadata"]["HTTPStatusCode"]
        except ClientError as error:
            return error.response["Error"]["Code"]

    assert status(IfMatch=etag) == 200
    assert status(IfMatch='"0123"') == "PreconditionFailed"
    assert status(IfMatch="*") == 200
    assert status(IfNoneMatch=etag) == "304"
    assert status(IfNoneMatch='"other"') == 200
    assert status(IfModifiedSince=before) == 200
    assert status(IfModifiedSince=after) == "304"
    assert status(IfUnmodifiedSince=after) == 200
    assert status(IfUnmodifiedSince=before) == "PreconditionFailed"
    # S3's documented combinations: If-Match decides over If-Unmodified-Since, If-None-Match over
    # If-Modified-Since.
    assert status(IfMatch=etag, IfUnmodifiedSince=before) == 200
    assert status(IfNoneMatch='"other"', IfModifiedSince=after) == 200
    assert status(IfNoneMatch=etag, IfModifiedSince=before) == "304"
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    assert error_of(failed) == ("PreconditionFailed", 412)
    assert failed.value.response["Error"]["Condition"] == "If-Match"
    with pytest.raises(ClientError) as head_failed:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    assert error_of(head_failed) == ("412", 412)
    with pytest.raises(ClientError) as not_modified:
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert error_of(not_modified) == ("304", 304)


def test_conditional_writes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert error_of(exists) == ("PreconditionFailed", 412)
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    with pytest.raises(ClientError) as mismatch:
        s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfMatch='"nope"')
    assert error_of(mismatch) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="once", Body=b"fourth", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"fourth"


def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-store")
    assert (got["ContentType"], got["ContentDisposition"], got["CacheControl"]) == \
        ("application/json", "inline", "no-store")
    assert s3.head_object(Bucket=bucket, Key="o")["ContentType"] == "text/plain"


def test_delete_object_and_batch_delete(s3, bucket):
    for key in ("a", "b", "c", "d"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="never")["ResponseMetadata"]["HTTPStatusCode"] == 204
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["b", "missing"] and "Errors" not in deleted
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}, {"Key": "d"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert keys_in(s3, bucket) == []
    too_long = "k" * 1025
    s3.put_object(Bucket=bucket, Key="e", Body=b"x")
    partial = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "e"}, {"Key": too_long}]})
    assert [d["Key"] for d in partial["Deleted"]] == ["e"]
    assert partial["Errors"][0]["Key"] == too_long and partial["Errors"][0]["Code"] == "KeyTooLongError"
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.delete_objects(Bucket="no-such-bucket-here", Delete={"Objects": [{"Key": "a"}]})
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.delete_object(Bucket="no-such-bucket-here", Key="a")


def test_copy_object(s3, bucket):
    source_key = "dir/a b+c%d é.txt"
    s3.put_object(Bucket=bucket, Key=source_key, Body=b"copy me", ContentType="text/plain", Metadata={"m": "1"})
    etag = s3.head_object(Bucket=bucket, Key=source_key)["ETag"]
    result = s3.copy_object(Bucket=bucket, Key="kept", CopySource={"Bucket": bucket, "Key": source_key})
    assert result["CopyObjectResult"]["ETag"] == etag and "LastModified" in result["CopyObjectResult"]
    kept = s3.get_object(Bucket=bucket, Key="kept")
    assert (kept["Body"].read(), kept["ContentType"], kept["Metadata"]) == (b"copy me", "text/plain", {"m": "1"})
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=f"{bucket}/{source_key}", MetadataDirective="REPLACE",
                   ContentType="application/x-new", Metadata={"n": "2"})
    replaced = s3.head_object(Bucket=bucket, Key="replaced")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("application/x-new", {"n": "2"})
    other = f"{bucket}-other"
    s3.create_bucket(Bucket=other)
    s3.copy_object(Bucket=other, Key="across", CopySource={"Bucket": bucket, "Key": source_key})
    assert s3.get_object(Bucket=other, Key="across")["Body"].read() == b"copy me"


def test_copy_object_rules(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"v": "1"})
    with pytest.raises(ClientError) as illegal:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert error_of(illegal) == ("InvalidRequest", 400)
    assert "copy an object to itself" in illegal.value.response["Error"]["Message"]
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "2"}
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})
    with pytest.raises(ClientError) as failed:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "self"},
                       CopySourceIfMatch='"nope"')
    assert error_of(failed) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as bad_source:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource="just-a-bucket")
    assert error_of(bad_source) == ("InvalidArgument", 400)
    assert "dst" not in keys_in(s3, bucket)


def test_content_md5(s3, bucket):
    good = base64.b64encode(hashlib.md5(b"payload").digest()).decode()
    s3.put_object(Bucket=bucket, Key="ok", Body=b"payload", ContentMD5=good)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as bad:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"payload", ContentMD5=wrong)
    assert error_of(bad) == ("BadDigest", 400)
    with pytest.raises(ClientError) as invalid:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"payload", ContentMD5="not-base64!")
    assert error_of(invalid) == ("InvalidDigest", 400)
    assert keys_in(s3, bucket) == ["ok"]


def test_bad_input_changes_nothing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="existing", Body=b"original")
    with pytest.raises(ClientError) as too_long:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(too_long) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as too_much:
        s3.put_object(Bucket=bucket, Key="existing", Body=b"new", Metadata={"big": "v" * 2100})
    assert error_of(too_much) == ("MetadataTooLarge", 400)
    with pytest.raises(ClientError) as bad_class:
        s3.put_object(Bucket=bucket, Key="existing", Body=b"new", StorageClass="NOT_A_CLASS")
    assert error_of(bad_class)[1] == 400
    assert keys_in(s3, bucket) == ["existing"]
    assert s3.get_object(Bucket=bucket, Key="existing")["Body"].read() == b"original"


def test_presigned_urls(server, bucket):
    s3 = server.client("s3", signature_version="s3v4")  # boto3 presigns with SigV2 unless told
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre signed"}, ExpiresIn=60)
    request = urllib.request.Request(put_url, data=b"via presigned url", method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre signed"}, ExpiresIn=60)
    with urllib.request.urlopen(get_url) as reply:
        assert reply.read() == b"via presigned url"


def test_large_object_streams(s3, bucket):
    data = os.urandom(3 * 1024 * 1024 + 123)
    s3.put_object(Bucket=bucket, Key="large", Body=data)
    assert s3.get_object(Bucket=bucket, Key="large")["Body"].read() == data
    middle = s3.get_object(Bucket=bucket, Key="large", Range="bytes=1048570-2097160")["Body"].read()
    assert middle == data[1048570:2097161]


def test_expect_100_continue_is_answered_before_the_body(server, bucket):
    s3 = server.client("s3", signature_version="s3v4")
    url = urlsplit(s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "expect"}))
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 5\r\n"
                     "Expect: 100-continue\r\n\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    assert server.client("s3").get_object(Bucket=bucket, Key="expect")["Body"].read() == b"hello"


def test_unserved_operations_answer_not_implemented(s3, bucket):
    with pytest.raises(ClientError) as unserved:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(unserved) == ("NotImplemented", 501)
