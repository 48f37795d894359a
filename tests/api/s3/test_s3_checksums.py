"""Checksums as S3 keeps them: verified on the way in, stored, and returned with ChecksumMode=ENABLED;
aws-chunked bodies with trailing checksums, as SDKs send them over TLS."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
import zlib

import botocore.auth
import botocore.awsrequest
import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def reference(algorithm: str, data: bytes) -> str:
    if algorithm == "CRC32":
        return b64(zlib.crc32(data).to_bytes(4, "big"))
    if algorithm == "CRC32C":
        return b64(crt.crc32c(data).to_bytes(4, "big"))
    if algorithm == "CRC64NVME":
        return b64(crt.crc64nvme(data).to_bytes(8, "big"))
    return b64(hashlib.new(algorithm.lower(), data).digest())


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_checksum_round_trip(s3, bucket, algorithm):
    data = b"checksummed payload " * 1000
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == reference(algorithm, data)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == reference(algorithm, data)
    assert got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == data  # botocore verified the body against the header as it read
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == reference(algorithm, data)
    assert "ChecksumType" not in s3.head_object(Bucket=bucket, Key="k")  # only when asked for
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert listed["ChecksumAlgorithm"] == [algorithm]


def test_ranges_carry_no_whole_object_checksum(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789", ChecksumAlgorithm="CRC32")
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=2-4", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"234" and "ChecksumCRC32" not in got


def test_a_wrong_checksum_is_refused_and_stores_nothing(s3, bucket):
    with pytest.raises(ClientError) as wrong:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumCRC32=reference("CRC32", b"other"))
    error = wrong.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("BadDigest",
                                                 "The CRC32 you specified did not match the calculated checksum.")
    with pytest.raises(ClientError) as malformed:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumSHA256="bm90LWEtc2hhMjU2")
    assert malformed.value.response["Error"]["Code"] == "InvalidRequest"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_objects_without_a_checksum_get_crc64nvme(server, bucket):
    plain = server.client("s3", request_checksum_calculation="when_required")
    put = plain.put_object(Bucket=bucket, Key="plain", Body=b"no checksum sent")
    assert put["ChecksumCRC64NVME"] == reference("CRC64NVME", b"no checksum sent")
    head = plain.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == reference("CRC64NVME", b"no checksum sent")


def _aws_chunked(server, bucket: str, key: str, data: bytes, trailer_value: str, chunk: int = 4096) -> int:
    """PUT with Content-Encoding: aws-chunked and a trailing x-amz-checksum-crc32, unsigned payload
    (what botocore sends over TLS)."""
    framed = b"".join(f"{len(data[i:i + chunk]):x}\r\n".encode() + data[i:i + chunk] + b"\r\n"
                      for i in range(0, len(data), chunk))
    framed += f"0\r\nx-amz-checksum-crc32:{trailer_value}\r\n\r\n".encode()
    url = f"{server.endpoint_url}/{bucket}/{key}"
    request = botocore.awsrequest.AWSRequest("PUT", url, data=framed, headers={
        "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Type": "text/plain"})
    request.context["checksum"] = {"request_algorithm": {"in": "trailer"}}  # sign as a trailer upload
    botocore.auth.S3SigV4Auth(server.session().get_credentials(), "s3", "us-east-1").add_auth(request)
    sent = urllib.request.Request(url, data=framed, method="PUT", headers=dict(request.headers))
    try:
        with urllib.request.urlopen(sent) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_aws_chunked_body_with_trailing_checksum(server, s3, bucket):
    data = bytes(range(256)) * 100
    assert _aws_chunked(server, bucket, "chunked", data, reference("CRC32", data)) == 200
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got["ChecksumCRC32"] == reference("CRC32", data)
    assert "ContentEncoding" not in got  # the framing is not part of the object
    assert _aws_chunked(server, bucket, "bad-trailer", data, reference("CRC32", b"x")) == 400
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["chunked"]
