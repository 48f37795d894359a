"""Conditional requests, byte ranges and copy sources, as S3 evaluates them."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from urllib.parse import unquote

from sagecraft.services.s3 import errors
from sagecraft.services.s3.models import ByteRange, Conditions, CopySource
from sagecraft.storage.objects.base import ObjectInfo

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list names this ETag ("*" names any)."""
    bare = etag.strip('"')
    for token in header.split(","):
        token = token.strip()
        if token == "*":
            return True
        if token.startswith("W/"):
            token = token[2:]
        if token.strip('"') == bare:
            return True
    return False


def _seconds(info: ObjectInfo) -> dt.datetime:
    return info.last_modified.replace(microsecond=0)  # HTTP dates carry whole seconds


def _evaluate(info: ObjectInfo, conditions: Conditions) -> tuple[str | None, str | None]:
    """(the precondition that failed, the not-modified condition that held). If-Match decides over
    If-Unmodified-Since, If-None-Match over If-Modified-Since (RFC 7232, and S3's documented
    combinations)."""
    modified = _seconds(info)
    failed = None
    if conditions.if_match is not None:
        if not etag_matches(conditions.if_match, info.etag):
            failed = "If-Match"
    elif conditions.if_unmodified_since is not None and modified > conditions.if_unmodified_since:
        failed = "If-Unmodified-Since"
    held = None
    if conditions.if_none_match is not None:
        if etag_matches(conditions.if_none_match, info.etag):
            held = "If-None-Match"
    elif conditions.if_modified_since is not None and modified <= conditions.if_modified_since:
        held = "If-Modified-Since"
    return failed, held


def check_read(info: ObjectInfo, conditions: Conditions) -> None:
    """GetObject/HeadObject: 412 when If-Match / If-Unmodified-Since fail, then 304 when
    If-None-Match / If-Modified-Since say the client's copy is current."""
    if not conditions:
        return
    failed, held = _evaluate(info, conditions)
    if failed:
        raise errors.precondition_failed(failed)
    if held:
        raise errors.NotModified("Not Modified", headers={"etag": info.etag,
                                                          "last-modified": http_date(info.last_modified)})


def check_copy_source(info: ObjectInfo, conditions: Conditions) -> None:
    """CopyObject/UploadPartCopy x-amz-copy-source-if-*: every failure is a 412."""
    if not conditions:
        return
    failed, held = _evaluate(info, conditions)
    if failed or held:
        raise errors.precondition_failed("x-amz-copy-source-" + (failed or held))


def check_write(current: ObjectInfo | None, key: str, if_match: str | None, if_none_match: str | None) -> None:
    """Conditional writes: If-None-Match: * refuses to overwrite, If-Match requires the ETag."""
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise errors.AwsError("A header you provided implies functionality that is not implemented",
                                  code="NotImplemented", status=501, fields={"Header": "If-None-Match"})
        if current is not None:
            raise errors.precondition_failed("If-None-Match")
    if if_match is not None:
        if current is None:
            raise errors.no_such_key(key)
        if not etag_matches(if_match, current.etag):
            raise errors.precondition_failed("If-Match")


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The byte range a Range header asks for; None for the whole object (no header, or one S3
    ignores: malformed or several ranges). Unsatisfiable → InvalidRange (416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            raise errors.invalid_range(header, size)
        return ByteRange(start, min(end, size - 1))
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise errors.invalid_range(header, size)
    return ByteRange(max(0, size - suffix), size - 1)


def parse_copy_range(header: str, size: int) -> ByteRange:
    match = _RANGE.match(header.strip())
    if not match or not match.group(1) or not match.group(2) or int(match.group(2)) < int(match.group(1)):
        raise errors.invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
            "the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", header)
    start, end = int(match.group(1)), int(match.group(2))
    if end >= size:
        raise errors.invalid_argument(f"Range specified is not valid for source object of size: {size}",
                                      "x-amz-copy-source-range", header)
    return ByteRange(start, end)


def parse_copy_source(value: str) -> CopySource:
    """``x-amz-copy-source``: ``[/]bucket/key[?versionId=…]``, the key URL-encoded."""
    raw, _, query = value.partition("?")
    version = None
    if query:
        name, _, version = query.partition("=")
        if name != "versionId":
            version = None
    path = unquote(raw)
    if path.startswith("/"):
        path = path[1:]
    bucket, sep, key = path.partition("/")
    if not sep or not bucket or not key:
        raise errors.invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                      "x-amz-copy-source", value)
    return CopySource(bucket, key, version or None)


def http_date(value: dt.datetime) -> str:
    return email.utils.format_datetime(value.astimezone(dt.timezone.utc), usegmt=True)
