"""S3's naming rules for general purpose buckets, object keys and user metadata."""

from __future__ import annotations

import re

from sagecraft.services.s3 import errors
from sagecraft.services.s3.models import MAX_KEY_BYTES, MAX_METADATA_BYTES

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def is_valid_bucket_name(name: str) -> bool:
    """3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a
    letter or digit; no '..', '.-' or '-.'; not an IP address; not a reserved prefix or suffix."""
    if not _BUCKET.match(name) or _IP_ADDRESS.match(name):
        return False
    if ".." in name or ".-" in name or "-." in name:
        return False
    return not name.startswith(_RESERVED_PREFIXES) and not name.endswith(_RESERVED_SUFFIXES)


def check_bucket_name(name: str) -> None:
    if not is_valid_bucket_name(name):
        raise errors.invalid_bucket_name(name)


def check_key(key: str) -> None:
    size = len(key.encode())
    if size > MAX_KEY_BYTES:
        raise errors.key_too_long(size)


def check_metadata(metadata: dict[str, str]) -> None:
    """User metadata is limited to 2 KB: the UTF-8 sizes of its names and values."""
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise errors.metadata_too_large(size)
