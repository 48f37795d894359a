"""Multipart uploads through boto3 and s3transfer: ETags and checksums as S3 computes them, and
S3's errors for parts that are missing, out of order or too small."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib

import pytest
from awscrt import checksums as crt
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def md5_of_md5s(data: bytes, part_size: int) -> str:
    digests = b"".join(hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size))
    return f'"{hashlib.md5(digests).hexdigest()}-{-(-len(data) // part_size)}"'


def crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def error_of(excinfo) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_upload_file_of_20_mb_in_5_mb_parts(s3, bucket, tmp_path):
    data = os.urandom(20 * MiB)
    source = tmp_path / "twenty.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(source), bucket, "uploads/twenty.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="uploads/twenty.bin", ChecksumMode="ENABLED")
    assert head["ETag"] == md5_of_md5s(data, 5 * MiB) and head["ETag"].endswith('-4"')
    assert head["ContentLength"] == len(data)
    # s3transfer asks for CRC32 parts: the object's checksum is COMPOSITE, a checksum of the parts'.
    composite = base64.b64encode(crc32(b"".join(crc32(data[i:i + 5 * MiB]) for i in range(0, len(data), 5 * MiB))))
    assert head["ChecksumCRC32"] == f"{composite.decode()}-4" and head["ChecksumType"] == "COMPOSITE"
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "uploads/twenty.bin", str(target), Config=config)  # ranged GETs with If-Match
    assert target.read_bytes() == data
    assert s3.get_object(Bucket=bucket, Key="uploads/twenty.bin")["Body"].read() == data
    part = s3.get_object(Bucket=bucket, Key="uploads/twenty.bin", PartNumber=2)
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206 and part["PartsCount"] == 4
    assert part["ContentRange"] == f"bytes {5 * MiB}-{10 * MiB - 1}/{len(data)}"
    assert part["Body"].read() == data[5 * MiB:10 * MiB]


def test_full_object_crc_and_no_checksum_uploads(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(100)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="full", ChecksumAlgorithm="CRC32",
                                        ChecksumType="FULL_OBJECT")
    assert (upload["ChecksumAlgorithm"], upload["ChecksumType"]) == ("CRC32", "FULL_OBJECT")
    etags = [s3.upload_part(Bucket=bucket, Key="full", UploadId=upload["UploadId"], PartNumber=n, Body=body,
                            ChecksumAlgorithm="CRC32") for n, body in enumerate(parts, 1)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="full", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e["ETag"], "ChecksumCRC32": e["ChecksumCRC32"]}
                                   for n, e in enumerate(etags, 1)]})
    whole = b"".join(parts)
    assert done["ChecksumCRC32"] == base64.b64encode(crc32(whole)).decode()
    assert done["ChecksumType"] == "FULL_OBJECT" and done["Key"] == "full" and done["Bucket"] == bucket
    assert done["Location"].endswith(f"/{bucket}/full")
    got = s3.get_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")  # botocore checks the CRC
    assert got["Body"].read() == whole
    plain = s3.create_multipart_upload(Bucket=bucket, Key="plain")
    etag = s3.upload_part(Bucket=bucket, Key="plain", UploadId=plain["UploadId"], PartNumber=1, Body=b"tiny")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="plain", UploadId=plain["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == base64.b64encode(crt.crc64nvme(b"tiny").to_bytes(8, "big")).decode()
    assert head["ETag"] == f'"{hashlib.md5(hashlib.md5(b"tiny").digest()).hexdigest()}-1"'


def test_list_parts_and_uploads_then_abort(s3, bucket):
    first = s3.create_multipart_upload(Bucket=bucket, Key="dir/one", ContentType="text/csv", Metadata={"m": "1"})
    second = s3.create_multipart_upload(Bucket=bucket, Key="dir/two")
    other = s3.create_multipart_upload(Bucket=bucket, Key="else/three")
    for number in (1, 2, 3):
        s3.upload_part(Bucket=bucket, Key="dir/one", UploadId=first["UploadId"], PartNumber=number,
                       Body=bytes([number]) * 10)
    parts = s3.list_parts(Bucket=bucket, Key="dir/one", UploadId=first["UploadId"], MaxParts=2)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2] and parts["IsTruncated"]
    assert parts["Parts"][0]["ETag"] == f'"{hashlib.md5(bytes([1]) * 10).hexdigest()}"'
    assert parts["Parts"][0]["Size"] == 10 and parts["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=bucket, Key="dir/one", UploadId=first["UploadId"], PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and not rest["IsTruncated"]
    uploads = s3.list_multipart_uploads(Bucket=bucket)
    assert {u["UploadId"] for u in uploads["Uploads"]} == {first["UploadId"], second["UploadId"], other["UploadId"]}
    folders = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["dir/", "else/"] and "Uploads" not in folders
    paged = s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/", MaxUploads=1)
    assert [u["Key"] for u in paged["Uploads"]] == ["dir/one"] and paged["IsTruncated"]
    after = s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/", KeyMarker=paged["NextKeyMarker"],
                                      UploadIdMarker=paged["NextUploadIdMarker"])
    assert [u["Key"] for u in after["Uploads"]] == ["dir/two"]
    for upload, key in ((first, "dir/one"), (second, "dir/two"), (other, "else/three")):
        assert s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])[
            "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(s3.exceptions.NoSuchUpload) as gone:
        s3.abort_multipart_upload(Bucket=bucket, Key="dir/one", UploadId=first["UploadId"])
    assert error_of(gone) == ("NoSuchUpload", 404)
    assert gone.value.response["Error"]["UploadId"] == first["UploadId"]
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.upload_part(Bucket=bucket, Key="dir/one", UploadId=first["UploadId"], PartNumber=1, Body=b"x")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_completion_errors_change_nothing(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")
    upload_id = upload["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"a" * 100)["ETag"]
    last = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"b" * 100)["ETag"]

    def complete(parts):
        with pytest.raises(ClientError) as failed:
            s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
        return failed

    too_small = complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}])
    assert error_of(too_small) == ("EntityTooSmall", 400)
    assert too_small.value.response["Error"]["MinSizeAllowed"] == str(5 * MiB)
    out_of_order = complete([{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}])
    assert error_of(out_of_order) == ("InvalidPartOrder", 400)
    wrong_etag = complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    assert error_of(wrong_etag) == ("InvalidPart", 400)
    missing = complete([{"PartNumber": 7, "ETag": small}])
    assert error_of(missing) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as bad_number:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert error_of(bad_number) == ("InvalidArgument", 400)
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId="not-an-upload",
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small}]})
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    # The upload survives the refusals: completing with the last part alone works.
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": last}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"b" * 100


def test_upload_part_copy_and_managed_copy(s3, bucket):
    source = os.urandom(12 * MiB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assembled")
    copied = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload["UploadId"], PartNumber=1,
                                 CopySource={"Bucket": bucket, "Key": "source"},
                                 CopySourceRange=f"bytes=0-{6 * MiB - 1}")
    assert copied["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[:6 * MiB]).hexdigest()}"'
    tail = s3.upload_part(Bucket=bucket, Key="assembled", UploadId=upload["UploadId"], PartNumber=2, Body=b"tail")
    with pytest.raises(ClientError) as bad_range:
        s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=upload["UploadId"], PartNumber=3,
                            CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange="bytes=0-999999999")
    assert error_of(bad_range) == ("InvalidArgument", 400)
    parts = [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": tail["ETag"]}]
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source[:6 * MiB] + b"tail"
    # boto3's managed copy uses UploadPartCopy for large sources.
    s3.copy({"Bucket": bucket, "Key": "source"}, bucket, "managed-copy",
            Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    assert s3.get_object(Bucket=bucket, Key="managed-copy")["Body"].read() == source
    assert s3.head_object(Bucket=bucket, Key="managed-copy")["ETag"] == md5_of_md5s(source, 5 * MiB)
