"""Domain objects of the S3 capability (no wire names here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from sagecraft.storage.objects.base import ObjectInfo, ObjectMeta

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_PUT_SIZE = 5 * 1024 ** 3
MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
DEFAULT_SSE = "AES256"  # S3 encrypts every new object with SSE-S3 unless told otherwise


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


@dataclass
class Conditions:
    """Conditional request headers (If-Match and friends, or their x-amz-copy-source-if-* twins)."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: dt.datetime | None = None
    if_unmodified_since: dt.datetime | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.if_match, self.if_none_match, self.if_modified_since,
                                            self.if_unmodified_since))


@dataclass(frozen=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None


@dataclass
class ObjectWrite:
    """What a client asks to be written, besides the bytes."""

    meta: ObjectMeta = field(default_factory=ObjectMeta)
    content_md5: str | None = None  # base64, as sent
    checksums: dict[str, str] = field(default_factory=dict)  # the client's claims: CRC32 -> base64
    checksum_algorithm: str | None = None  # the algorithm the client named (x-amz-sdk-checksum-algorithm)
    if_match: str | None = None  # conditional writes
    if_none_match: str | None = None


@dataclass
class ObjectRead:
    info: ObjectInfo
    body: bytes | Iterator[bytes]
    range: ByteRange | None = None  # set for partial content (206)
    parts_count: int | None = None  # set when one part was asked for
    checksums: dict[str, str] = field(default_factory=dict)  # to report (ChecksumMode=ENABLED)
    checksum_type: str | None = None


@dataclass
class DeleteOutcome:
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (key, code, message)


@dataclass
class ListRequest:
    prefix: str = ""
    delimiter: str = ""
    after: str = ""
    max_keys: int = 1000
