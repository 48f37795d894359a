"""``S3ObjectStore``: the object store protocol on any S3-compatible endpoint (AWS S3, MinIO, Ceph,
another Sagecraft), for clusters. Buckets map to backend buckets named prefix + name; bytes,
ETags, checksums and multipart uploads are the backend's own.

What the backend has no field for (the SSE Sagecraft reports, the checksum type) travels in one
reserved user-metadata entry. Conditional writes are checked with a HEAD first: unlike the
filesystem store, a concurrent writer can slip between the check and the write."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sagecraft.storage.objects.base import (
    CHUNK_SIZE,
    BucketExists,
    BucketInfo,
    BucketNotEmpty,
    BucketNotFound,
    ListPage,
    ObjectInfo,
    ObjectMeta,
    ObjectNotFound,
    PartInfo,
    PartMismatch,
    Precondition,
    Source,
    UploadInfo,
    UploadNotFound,
    UploadPage,
)
from sagecraft.storage.objects.s3_wire import checksum_args, object_info, put_args, upload_meta

_BUCKET_TTL = 5.0  # seconds a bucket lookup is trusted (every PutObject asks)


@contextmanager
def backend_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket",):
            raise BucketNotFound(code) from None
        if code in ("NoSuchKey", "404", "NotFound"):
            raise ObjectNotFound(code) from None
        if code == "NoSuchUpload":
            raise UploadNotFound(code) from None
        if code == "BucketNotEmpty":
            raise BucketNotEmpty(code) from None
        if code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise BucketExists(code) from None
        if code in ("InvalidPart", "InvalidPartOrder"):
            raise PartMismatch(0) from None
        raise


class S3ObjectStore:
    def __init__(self, *, endpoint_url: str | None, region: str = "us-east-1", access_key_id: str | None = None,
                 secret_access_key: str | None = None, bucket_prefix: str = "") -> None:
        session = boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                region_name=region)
        self.client = session.client("s3", endpoint_url=endpoint_url, config=Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=32, request_checksum_calculation="when_required",
            response_checksum_validation="when_required"))
        self.prefix = bucket_prefix
        self._buckets: dict[str, tuple[float, BucketInfo]] = {}
        self._uploads: dict[str, UploadInfo] = {}  # what a backend cannot tell us about an upload
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def _name(self, bucket: str) -> str:
        return self.prefix + bucket

    # buckets

    def create_bucket(self, name: str, region: str) -> BucketInfo:
        if self.get_bucket(name) is not None:
            raise BucketExists(name)
        args: dict = {"Bucket": self._name(name)}
        if region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with backend_errors():
            self.client.create_bucket(**args)
        self._forget(name)
        return self.get_bucket(name) or BucketInfo(name, region, dt.datetime.now(dt.timezone.utc))

    def get_bucket(self, name: str) -> BucketInfo | None:
        cached = self._buckets.get(name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            head = self.client.head_bucket(Bucket=self._name(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                return None
            raise
        region = head.get("BucketRegion") or "us-east-1"
        created = next((b.created for b in self.list_buckets() if b.name == name), dt.datetime.now(dt.timezone.utc))
        info = BucketInfo(name, region, created)
        self._buckets[name] = (time.monotonic() + _BUCKET_TTL, info)
        return info

    def _forget(self, name: str) -> None:
        self._buckets.pop(name, None)

    def list_buckets(self) -> list[BucketInfo]:
        with backend_errors():
            listed = self.client.list_buckets()["Buckets"]
        return sorted((BucketInfo(b["Name"][len(self.prefix):], b.get("BucketRegion") or "us-east-1",
                                  b["CreationDate"]) for b in listed if b["Name"].startswith(self.prefix)),
                      key=lambda b: b.name)

    def delete_bucket(self, name: str) -> None:
        for upload in self.list_uploads(name, max_uploads=1000).uploads:  # S3 keeps them; we abort them
            self.abort_upload(upload)
        self._forget(name)
        with backend_errors():
            self.client.delete_bucket(Bucket=self._name(name))

    # objects

    def put_object(self, bucket: str, key: str, source: Source, meta: ObjectMeta, *,
                   precondition: Precondition | None = None) -> ObjectInfo:
        if precondition is not None:
            precondition(self._current(bucket, key))
        with _opened(source) as (body, size), backend_errors():
            reply = self.client.put_object(Bucket=self._name(bucket), Key=key, Body=body, ContentLength=size,
                                           **put_args(meta), **checksum_args(meta.checksums))
        return ObjectInfo(bucket, key, size, reply["ETag"], dt.datetime.now(dt.timezone.utc), meta)

    def _current(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            return self.head_object(bucket, key)
        except ObjectNotFound:
            return None

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        try:
            with backend_errors():
                reply = self.client.head_object(Bucket=self._name(bucket), Key=key, ChecksumMode="ENABLED")
        except ObjectNotFound:  # a HEAD 404 has no body to tell a missing key from a missing bucket
            self._forget(bucket)
            if self.get_bucket(bucket) is None:
                raise BucketNotFound(bucket) from None
            raise
        return object_info(bucket, key, reply)

    def open_object(self, bucket: str, key: str, start: int = 0,
                    end: int | None = None) -> tuple[ObjectInfo, Iterator[bytes]]:
        args: dict = {"Bucket": self._name(bucket), "Key": key}
        if start or end is not None:
            args["Range"] = f"bytes={start}-{'' if end is None else end}"
        else:
            args["ChecksumMode"] = "ENABLED"
        with backend_errors():
            reply = self.client.get_object(**args)
        info = object_info(bucket, key, reply)
        if "ContentRange" in reply:
            info.size = int(reply["ContentRange"].rpartition("/")[2])
        return info, _chunks(reply["Body"])

    def delete_object(self, bucket: str, key: str) -> bool:
        with backend_errors():
            self.client.delete_object(Bucket=self._name(bucket), Key=key)
        return True

    def delete_objects(self, bucket: str, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            with backend_errors():
                self.client.delete_objects(Bucket=self._name(bucket), Delete={"Objects": batch, "Quiet": True})
        if not keys and self.get_bucket(bucket) is None:
            raise BucketNotFound(bucket)

    def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                     max_keys: int = 1000) -> ListPage:
        if delimiter and after.startswith(prefix) and delimiter in after[len(prefix):]:
            # After a common prefix comes the first key past all of it (as the filesystem store does).
            cut = after.index(delimiter, len(prefix)) + len(delimiter)
            after = after[:cut] + "\U0010ffff"
        args: dict = {"Bucket": self._name(bucket), "Prefix": prefix, "MaxKeys": max_keys}
        if delimiter:
            args["Delimiter"] = delimiter
        if after:
            args["StartAfter"] = after
        with backend_errors():
            reply = self.client.list_objects_v2(**args)
        objects = []
        for item in reply.get("Contents", []):
            meta = ObjectMeta(storage_class=item.get("StorageClass", "STANDARD"),
                              checksums={a: "" for a in item.get("ChecksumAlgorithm", [])},
                              checksum_type=item.get("ChecksumType"))
            objects.append(ObjectInfo(bucket, item["Key"], item["Size"], item["ETag"], item["LastModified"], meta))
        prefixes = [p["Prefix"] for p in reply.get("CommonPrefixes", [])]
        return ListPage(objects, prefixes, bool(reply.get("IsTruncated")))

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, meta: ObjectMeta | None, *,
                    source_check: Callable[[ObjectInfo], None] | None = None,
                    precondition: Precondition | None = None) -> ObjectInfo:
        source = self.head_object(src_bucket, src_key)
        if source_check is not None:
            source_check(source)
        if precondition is not None:
            precondition(self._current(bucket, key))
        meta = meta or source.meta
        with backend_errors():
            reply = self.client.copy_object(
                Bucket=self._name(bucket), Key=key, MetadataDirective="REPLACE", **put_args(meta),
                CopySource={"Bucket": self._name(src_bucket), "Key": src_key}, CopySourceIfMatch=source.etag)
        result = reply["CopyObjectResult"]
        return ObjectInfo(bucket, key, source.size, result["ETag"], result["LastModified"], meta, source.parts)

    # multipart uploads

    def create_upload(self, bucket: str, key: str, meta: ObjectMeta, checksum_algorithm: str | None,
                      checksum_type: str | None) -> UploadInfo:
        args = put_args(meta)
        if checksum_algorithm:
            args["ChecksumAlgorithm"] = checksum_algorithm
            if checksum_type:
                args["ChecksumType"] = checksum_type
        with backend_errors():
            reply = self.client.create_multipart_upload(Bucket=self._name(bucket), Key=key, **args)
        upload = UploadInfo(bucket, key, reply["UploadId"], dt.datetime.now(dt.timezone.utc), meta,
                            checksum_algorithm, checksum_type)
        with self._lock:
            self._uploads[upload.upload_id] = upload
        return upload

    def get_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        with backend_errors():
            reply = self.client.list_parts(Bucket=self._name(bucket), Key=key, UploadId=upload_id, MaxParts=1)
        known = self._uploads.get(upload_id)
        if known is not None and (known.bucket, known.key) == (bucket, key):
            return known
        return UploadInfo(bucket, key, upload_id, dt.datetime.now(dt.timezone.utc), ObjectMeta(),
                          reply.get("ChecksumAlgorithm"), reply.get("ChecksumType"))

    def upload_part(self, upload: UploadInfo, number: int, source: Source, checksums: dict[str, str]) -> PartInfo:
        wanted = {a: v for a, v in checksums.items() if a == upload.checksum_algorithm}
        with _opened(source) as (body, size), backend_errors():
            reply = self.client.upload_part(Bucket=self._name(upload.bucket), Key=upload.key,
                                            UploadId=upload.upload_id, PartNumber=number, Body=body,
                                            ContentLength=size, **checksum_args(wanted))
        return PartInfo(number, size, reply["ETag"], dt.datetime.now(dt.timezone.utc), checksums)

    def copy_part(self, upload: UploadInfo, number: int, src_bucket: str, src_key: str, start: int, end: int, *,
                  source_check: Callable[[ObjectInfo], None] | None = None,
                  algorithms: tuple[str, ...] = ()) -> PartInfo:
        source = self.head_object(src_bucket, src_key)
        if source_check is not None:
            source_check(source)
        with backend_errors():
            reply = self.client.upload_part_copy(
                Bucket=self._name(upload.bucket), Key=upload.key, UploadId=upload.upload_id, PartNumber=number,
                CopySource={"Bucket": self._name(src_bucket), "Key": src_key}, CopySourceRange=f"bytes={start}-{end}",
                CopySourceIfMatch=source.etag)
        result = reply["CopyPartResult"]
        checksums = {name[len("Checksum"):]: v for name, v in result.items()
                     if name.startswith("Checksum") and name != "ChecksumType"}
        return PartInfo(number, end - start + 1, result["ETag"], result["LastModified"], checksums)

    def list_parts(self, upload: UploadInfo, after: int = 0, max_parts: int = 10000) -> list[PartInfo]:
        parts: list[PartInfo] = []
        marker = after
        while len(parts) < max_parts:
            with backend_errors():
                reply = self.client.list_parts(Bucket=self._name(upload.bucket), Key=upload.key,
                                               UploadId=upload.upload_id, PartNumberMarker=marker,
                                               MaxParts=min(1000, max_parts - len(parts)))
            for item in reply.get("Parts", []):
                checksums = {name[len("Checksum"):]: v for name, v in item.items()
                             if name.startswith("Checksum") and name != "ChecksumType"}
                parts.append(PartInfo(item["PartNumber"], item["Size"], item["ETag"], item["LastModified"],
                                      checksums))
            if not reply.get("IsTruncated"):
                break
            marker = reply["NextPartNumberMarker"]
        return parts

    def complete_upload(self, upload: UploadInfo, parts: list[tuple[int, str]], etag: str, meta: ObjectMeta, *,
                        precondition: Precondition | None = None) -> ObjectInfo:
        if precondition is not None:
            precondition(self._current(upload.bucket, upload.key))
        stored = {p.number: p for p in self.list_parts(upload)}
        listed = []
        for number, part_etag in parts:
            entry = {"PartNumber": number, "ETag": part_etag}
            algorithm = upload.checksum_algorithm
            if algorithm and number in stored and algorithm in stored[number].checksums:
                entry[f"Checksum{algorithm}"] = stored[number].checksums[algorithm]
            listed.append(entry)
        with backend_errors():
            reply = self.client.complete_multipart_upload(
                Bucket=self._name(upload.bucket), Key=upload.key, UploadId=upload.upload_id,
                MultipartUpload={"Parts": listed})
        with self._lock:
            self._uploads.pop(upload.upload_id, None)
        info = self.head_object(upload.bucket, upload.key)
        info.etag = reply.get("ETag", info.etag)
        return info

    def abort_upload(self, upload: UploadInfo) -> None:
        with backend_errors():
            self.client.abort_multipart_upload(Bucket=self._name(upload.bucket), Key=upload.key,
                                               UploadId=upload.upload_id)
        with self._lock:
            self._uploads.pop(upload.upload_id, None)

    def list_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000) -> UploadPage:
        args: dict = {"Bucket": self._name(bucket), "Prefix": prefix, "MaxUploads": max_uploads}
        if delimiter:
            args["Delimiter"] = delimiter
        if key_marker:
            args["KeyMarker"] = key_marker
            if upload_id_marker:
                args["UploadIdMarker"] = upload_id_marker
        with backend_errors():
            reply = self.client.list_multipart_uploads(**args)
        uploads = [upload_meta(bucket, item, self._uploads.get(item["UploadId"])) for item in reply.get("Uploads", [])]
        prefixes = [p["Prefix"] for p in reply.get("CommonPrefixes", [])]
        return UploadPage(uploads, prefixes, bool(reply.get("IsTruncated")))


@contextmanager
def _opened(source: Source):
    """A file object and size for a source (bytes, a path, or a request body)."""
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(source), len(source)
    elif isinstance(source, str):
        with open(source, "rb") as handle:
            yield handle, os.fstat(handle.fileno()).st_size
    else:
        with source.open() as handle:
            yield handle, source.size


def _chunks(stream) -> Iterator[bytes]:
    try:
        yield from stream.iter_chunks(CHUNK_SIZE)
    finally:
        stream.close()

