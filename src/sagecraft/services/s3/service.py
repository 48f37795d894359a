"""S3's rules for buckets and objects, over any ObjectStore. No wire names here: the provider
translates requests to these calls and results to responses."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sagecraft.services.s3 import errors
from sagecraft.services.s3.conditions import (
    check_copy_source,
    check_read,
    check_write,
    parse_range,
)
from sagecraft.services.s3.encrypted_store import ObjectCorrupted
from sagecraft.services.s3.integrity import (
    DEFAULT_ALGORITHM,
    body_checksum,
    check_algorithm,
    verify_checksums,
    verify_content_md5,
)
from sagecraft.services.s3.models import (
    MAX_PUT_SIZE,
    ByteRange,
    Conditions,
    CopySource,
    DeleteOutcome,
    ListRequest,
    ObjectRead,
    ObjectWrite,
)
from sagecraft.services.s3.naming import check_bucket_name, check_key, check_metadata
from sagecraft.storage.objects import base as store_errors
from sagecraft.storage.objects.base import (
    CHUNK_SIZE,
    BucketInfo,
    ListPage,
    ObjectInfo,
    ObjectMeta,
    ObjectStore,
)
from sagecraft.storage.objects.checksums import new_checksum

DEFAULT_REGION = "us-east-1"
MAX_DELETE_KEYS = 1000


@contextmanager
def translated(bucket: str = "", key: str = "", upload_id: str = "") -> Iterator[None]:
    """Store errors → S3 errors."""
    try:
        yield
    except store_errors.BucketNotFound:
        raise errors.no_such_bucket(bucket) from None
    except store_errors.ObjectNotFound:
        raise errors.no_such_key(key) from None
    except store_errors.UploadNotFound:
        raise errors.no_such_upload(upload_id) from None
    except store_errors.BucketNotEmpty:
        raise errors.bucket_not_empty(bucket) from None
    except store_errors.PartMismatch as error:
        raise errors.invalid_part(upload_id, error.number, error.etag) from None
    except ObjectCorrupted:
        raise errors.object_corrupted(key) from None


class S3Service:
    def __init__(self, store: ObjectStore, account_id: str) -> None:
        self.store = store
        self.account_id = account_id
        # S3 names owners by a 64-hex canonical user ID; derive a stable one from the account.
        self.owner_id = hashlib.sha256(f"sagecraft-canonical-user:{account_id}".encode()).hexdigest()

    def check_owner(self, expected: str | None) -> None:
        """x-amz-expected-bucket-owner: every bucket here belongs to the server's account."""
        if expected is not None and expected != self.account_id:
            raise errors.access_denied()

    # buckets

    def create_bucket(self, name: str, region: str, location_constraint: str | None) -> BucketInfo:
        check_bucket_name(name)
        if location_constraint == DEFAULT_REGION:
            raise errors.invalid_location_constraint(location_constraint)  # us-east-1 is named by omission
        if region != DEFAULT_REGION and location_constraint != region:
            raise errors.illegal_location_constraint(location_constraint)
        try:
            return self.store.create_bucket(name, location_constraint or DEFAULT_REGION)
        except store_errors.BucketExists:
            existing = self.store.get_bucket(name)
            # Legacy compatibility, as S3 keeps it: re-creating your own us-east-1 bucket succeeds.
            if existing is not None and existing.region == DEFAULT_REGION and region == DEFAULT_REGION:
                return existing
            raise errors.bucket_already_owned(name) from None

    def get_bucket(self, name: str, expected_owner: str | None = None) -> BucketInfo:
        bucket = self.store.get_bucket(name)
        if bucket is None:
            raise errors.no_such_bucket(name)
        self.check_owner(expected_owner)
        return bucket

    def list_buckets(self, prefix: str | None = None, max_buckets: int | None = None,
                     after: str | None = None) -> tuple[list[BucketInfo], str | None]:
        """Buckets in name order; the name to continue after when more remain."""
        buckets = [b for b in self.store.list_buckets()
                   if (not prefix or b.name.startswith(prefix)) and (not after or b.name > after)]
        if max_buckets is not None:
            if not 1 <= max_buckets <= 10000:
                raise errors.invalid_argument("Argument max-buckets must be an integer between 1 and 10000.",
                                              "max-buckets", max_buckets)
            if len(buckets) > max_buckets:
                return buckets[:max_buckets], buckets[max_buckets - 1].name
        return buckets, None

    def delete_bucket(self, name: str, expected_owner: str | None = None) -> None:
        self.check_owner(expected_owner)
        with translated(bucket=name):
            self.store.delete_bucket(name)

    # objects

    def put_object(self, bucket: str, key: str, body: Any, write: ObjectWrite) -> ObjectInfo:
        check_key(key)
        check_metadata(write.meta.metadata)
        if body.size > MAX_PUT_SIZE:
            raise errors.entity_too_large(body.size, MAX_PUT_SIZE)
        if self.store.get_bucket(bucket) is None:
            raise errors.no_such_bucket(bucket)
        verify_content_md5(write.content_md5, body_md5(body))
        checksums = verify_checksums(write.checksums, body)
        if write.checksum_algorithm and not checksums:
            algorithm = check_algorithm(write.checksum_algorithm)
            checksums = {algorithm: body_checksum(body, algorithm)}
        if not checksums:  # S3 adds a CRC64NVME checksum to objects uploaded without one
            checksums = {DEFAULT_ALGORITHM: body_checksum(body, DEFAULT_ALGORITHM)}
        meta = replace(write.meta, checksums=checksums, checksum_type="FULL_OBJECT", sse=with_default_sse(write.meta))
        precondition = None
        if write.if_match is not None or write.if_none_match is not None:
            def precondition(current: ObjectInfo | None) -> None:
                check_write(current, key, write.if_match, write.if_none_match)
        with translated(bucket, key):
            return self.store.put_object(bucket, key, body, meta, precondition=precondition)

    def head_object(self, bucket: str, key: str, conditions: Conditions, *, range_header: str | None = None,
                    part_number: int | None = None, with_checksums: bool = False) -> ObjectRead:
        with translated(bucket, key):
            info = self.store.head_object(bucket, key)
        check_read(info, conditions)
        chosen, parts_count = self._choose_range(info, range_header, part_number)
        checksums, checksum_type = self._reported_checksums(info, chosen, part_number, with_checksums)
        return ObjectRead(info, b"", chosen, parts_count, checksums, checksum_type)

    def get_object(self, bucket: str, key: str, conditions: Conditions, *, range_header: str | None = None,
                   part_number: int | None = None, with_checksums: bool = False) -> ObjectRead:
        if not conditions and not range_header and part_number is None:
            with translated(bucket, key):  # the common case: one index read, one open
                info, reader = self.store.open_object(bucket, key)
            checksums, checksum_type = self._reported_checksums(info, None, None, with_checksums)
            return ObjectRead(info, _small_or_stream(reader, info.size), checksums=checksums,
                              checksum_type=checksum_type)
        for _attempt in range(3):
            read = self.head_object(bucket, key, conditions, range_header=range_header, part_number=part_number,
                                    with_checksums=with_checksums)
            chosen = read.range
            start, end = (chosen.start, chosen.end) if chosen else (0, None)
            with translated(bucket, key):
                info, reader = self.store.open_object(bucket, key, start, end)
            if info.etag == read.info.etag:
                read.info = info
                read.body = _small_or_stream(reader, chosen.length if chosen else info.size)
                return read
            _close(reader)  # replaced between the check and the open: evaluate again
        raise errors.operation_aborted()

    def _choose_range(self, info: ObjectInfo, range_header: str | None,
                      part_number: int | None) -> tuple[ByteRange | None, int | None]:
        if part_number is None:
            return parse_range(range_header, info.size), None
        if range_header:
            raise errors.invalid_request("Cannot specify both Range header and partNumber query parameter")
        sizes = [p.size for p in info.parts] if info.parts else [info.size]
        if not 1 <= part_number <= len(sizes):
            raise errors.invalid_part_number(part_number, len(sizes))
        start = sum(sizes[: part_number - 1])
        if sizes[part_number - 1] == 0:
            return None, len(sizes) if info.parts else None
        return ByteRange(start, start + sizes[part_number - 1] - 1), len(sizes) if info.parts else None

    @staticmethod
    def _reported_checksums(info: ObjectInfo, chosen: ByteRange | None, part_number: int | None,
                            enabled: bool) -> tuple[dict[str, str], str | None]:
        """Checksums describe whole objects (or whole parts): none for ranges."""
        if not enabled:
            return {}, None
        if part_number is not None and info.parts:
            part = info.parts[part_number - 1]
            reported = {a: v for a, v in part.checksums.items() if a in info.meta.checksums}
            return reported, info.meta.checksum_type if reported else None
        if chosen is not None and (chosen.start != 0 or chosen.end != info.size - 1):
            return {}, None
        return dict(info.meta.checksums), info.meta.checksum_type

    def head(self, bucket: str, key: str) -> ObjectInfo:
        with translated(bucket, key):
            return self.store.head_object(bucket, key)

    def delete_object(self, bucket: str, key: str) -> None:
        with translated(bucket, key):
            self.store.delete_object(bucket, key)

    def delete_objects(self, bucket: str, keys: list[str]) -> DeleteOutcome:
        if not keys or len(keys) > MAX_DELETE_KEYS:
            raise errors.malformed_xml()
        outcome = DeleteOutcome()
        valid = []
        for key in keys:
            if len(key.encode()) > 1024:
                outcome.errors.append((key, "KeyTooLongError", "Your key is too long"))
            else:
                valid.append(key)
        with translated(bucket):
            self.store.delete_objects(bucket, valid)
        outcome.deleted = valid
        return outcome

    def list_objects(self, bucket: str, request: ListRequest) -> ListPage:
        if request.max_keys < 0:
            raise errors.invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647",
                                          "maxKeys", request.max_keys)
        with translated(bucket):
            return self.store.list_objects(bucket, prefix=request.prefix, delimiter=request.delimiter,
                                           after=request.after, max_keys=min(request.max_keys, 1000))

    def copy_object(self, source: CopySource, bucket: str, key: str, write: ObjectWrite, *, replace_metadata: bool,
                    source_conditions: Conditions) -> ObjectInfo:
        check_key(key)
        check_metadata(write.meta.metadata)
        with translated(source.bucket, source.key):
            current = self.store.head_object(source.bucket, source.key)
        check_copy_source(current, source_conditions)
        if current.size > MAX_PUT_SIZE:
            raise errors.invalid_request("The specified copy source is larger than the maximum allowable size for a "
                                         f"copy source: {MAX_PUT_SIZE}")
        same = (source.bucket, source.key) == (bucket, key)
        changes_attributes = (replace_metadata or write.meta.sse or write.checksum_algorithm
                              or write.meta.storage_class != current.meta.storage_class)
        if same and not changes_attributes:
            raise errors.invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing the "
                "object's metadata, storage class, website redirect location or encryption attributes.")
        kept = write.meta if replace_metadata else replace(
            current.meta, storage_class=write.meta.storage_class, sse={})
        meta = replace(kept, checksums=current.meta.checksums, checksum_type=current.meta.checksum_type,
                       sse=with_default_sse(write.meta))
        if write.checksum_algorithm:
            algorithm = check_algorithm(write.checksum_algorithm)
            if algorithm not in current.meta.checksums:
                with translated(source.bucket, source.key):
                    _, reader = self.store.open_object(source.bucket, source.key)
                meta.checksums = {algorithm: _checksum_of_stream(reader, algorithm)}
                meta.checksum_type = "FULL_OBJECT"

        def same_source(info: ObjectInfo) -> None:
            check_copy_source(info, source_conditions)
            if info.etag != current.etag:  # replaced since we read it: its checksums may no longer hold
                raise errors.operation_aborted()

        if self.store.get_bucket(bucket) is None:
            raise errors.no_such_bucket(bucket)
        with translated(source.bucket, source.key):
            return self.store.copy_object(source.bucket, source.key, bucket, key, meta, source_check=same_source)


def with_default_sse(meta: ObjectMeta) -> dict[str, str]:
    """The encryption a write asked for. None asked: the store applies the bucket's default, and
    the object is reported as SSE-S3 (wire.sse_members), as S3 reports every object."""
    return dict(meta.sse)


def body_md5(body: Any) -> str | None:
    md5 = getattr(body, "md5", None)
    if md5 is not None or not hasattr(body, "open"):
        return md5
    digest = hashlib.md5()
    with body.open() as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _small_or_stream(reader: Iterator[bytes], length: int) -> bytes | Iterator[bytes]:
    """Small bodies are read here (one thread hop fewer when sending); large ones stream."""
    if length <= CHUNK_SIZE:
        try:
            return b"".join(reader)
        finally:
            _close(reader)
    return reader


def _checksum_of_stream(reader: Iterator[bytes], algorithm: str) -> str:
    checksum = new_checksum(algorithm)
    try:
        for chunk in reader:
            checksum.update(chunk)
    finally:
        _close(reader)
    return checksum.base64()


def _close(reader: object) -> None:
    close = getattr(reader, "close", None)
    if close is not None:
        close()

