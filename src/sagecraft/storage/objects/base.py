"""The object store protocol: buckets of immutable objects, listed in UTF-8 byte order, with
multipart uploads. Backends: ``FilesystemObjectStore`` (embedded default), ``S3ObjectStore``.

Stores keep bytes and facts; the S3 rules (naming, ETag rules, conditions, checksum
verification) live in ``services/s3``. Errors are the ``StoreError`` subclasses below."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

CHUNK_SIZE = 1 << 20  # reads and streamed responses move ~1 MiB at a time


class StoreError(Exception):
    """Base of the errors a store raises; the S3 service maps them to AWS error codes."""


class BucketNotFound(StoreError):
    pass


class BucketExists(StoreError):
    pass


class BucketNotEmpty(StoreError):
    pass


class ObjectNotFound(StoreError):
    pass


class UploadNotFound(StoreError):
    pass


class PartMismatch(StoreError):
    """A part named in a completion is missing or has another ETag than the one given."""

    def __init__(self, number: int, etag: str | None = None) -> None:
        super().__init__(f"part {number}")
        self.number = number
        self.etag = etag


class BodySource(Protocol):
    """A received request body (the gateway's RequestBody): in memory or in a spool file the
    store may take over by rename."""

    size: int
    md5: str | None

    def read(self) -> bytes: ...

    def take_file(self) -> str | None: ...


Source = bytes | str | BodySource  # bytes, a file path to copy from, or a request body


@dataclass
class ObjectMeta:
    """Everything about an object except its bytes, as a writer decides it."""

    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)  # user metadata (x-amz-meta-*)
    headers: dict[str, str] = field(default_factory=dict)  # Cache-Control, Content-Disposition, ...
    checksums: dict[str, str] = field(default_factory=dict)  # CRC32 -> base64 (composite: "…-N")
    checksum_type: str | None = None  # FULL_OBJECT | COMPOSITE
    sse: dict[str, str] = field(default_factory=dict)  # ServerSideEncryption, SSEKMSKeyId, ...
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class PartLayout:
    """One part of a multipart object (for GetObject/HeadObject ``partNumber``)."""

    size: int
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # quoted, as S3 sends it
    last_modified: dt.datetime
    meta: ObjectMeta
    parts: tuple[PartLayout, ...] | None = None  # None for single-part objects


@dataclass(frozen=True)
class BucketInfo:
    name: str
    region: str
    created: dt.datetime


@dataclass
class ListPage:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    truncated: bool

    @property
    def last(self) -> str | None:
        """The greatest key or common prefix on the page: where the next page starts after."""
        candidates = [o.key for o in self.objects[-1:]] + self.common_prefixes[-1:]
        return max(candidates, key=lambda k: k.encode()) if candidates else None


@dataclass(frozen=True)
class UploadInfo:
    bucket: str
    key: str
    upload_id: str
    initiated: dt.datetime
    meta: ObjectMeta
    checksum_algorithm: str | None = None
    checksum_type: str | None = None


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str
    last_modified: dt.datetime
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class UploadPage:
    uploads: list[UploadInfo]
    common_prefixes: list[str]
    truncated: bool


Precondition = Callable[[ObjectInfo | None], None]  # raises to refuse a write, given the current object


class ObjectStore(Protocol):
    def close(self) -> None: ...

    # buckets
    def create_bucket(self, name: str, region: str) -> BucketInfo: ...
    def get_bucket(self, name: str) -> BucketInfo | None: ...
    def list_buckets(self) -> list[BucketInfo]: ...
    def delete_bucket(self, name: str) -> None: ...

    # objects
    def put_object(self, bucket: str, key: str, source: Source, meta: ObjectMeta, *,
                   precondition: Precondition | None = None) -> ObjectInfo: ...
    def head_object(self, bucket: str, key: str) -> ObjectInfo: ...
    def open_object(self, bucket: str, key: str, start: int = 0,
                    end: int | None = None) -> tuple[ObjectInfo, Iterator[bytes]]: ...
    def delete_object(self, bucket: str, key: str) -> bool: ...
    def delete_objects(self, bucket: str, keys: list[str]) -> None: ...  # missing keys are no error
    def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                     max_keys: int = 1000) -> ListPage: ...
    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, meta: ObjectMeta | None, *,
                    source_check: Callable[[ObjectInfo], None] | None = None,
                    precondition: Precondition | None = None) -> ObjectInfo: ...

    # multipart uploads
    def create_upload(self, bucket: str, key: str, meta: ObjectMeta, checksum_algorithm: str | None,
                      checksum_type: str | None) -> UploadInfo: ...
    def get_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo: ...
    def upload_part(self, upload: UploadInfo, number: int, source: Source,
                    checksums: dict[str, str]) -> PartInfo: ...
    def copy_part(self, upload: UploadInfo, number: int, src_bucket: str, src_key: str, start: int, end: int, *,
                  source_check: Callable[[ObjectInfo], None] | None = None,
                  algorithms: tuple[str, ...] = ()) -> PartInfo: ...
    def list_parts(self, upload: UploadInfo, after: int = 0, max_parts: int = 10000) -> list[PartInfo]: ...
    def complete_upload(self, upload: UploadInfo, parts: list[tuple[int, str]], etag: str,
                        meta: ObjectMeta, *, precondition: Precondition | None = None) -> ObjectInfo: ...
    def abort_upload(self, upload: UploadInfo) -> None: ...
    def list_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000) -> UploadPage: ...


def key_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix`` (None: none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
