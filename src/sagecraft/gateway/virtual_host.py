"""Virtual-hosted S3 addressing: ``<bucket>.localhost:8642`` or ``<bucket>.127.0.0.1:8642``."""

from __future__ import annotations

import re

_SUFFIX = re.compile(r"^(?P<bucket>.+)\.(?:localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|s3\.[^.]+\.localhost)$")


def bucket_from_host(host: str) -> str | None:
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    match = _SUFFIX.match(hostname.lower())
    if not match:
        return None
    bucket = match.group("bucket")
    return None if bucket in ("s3", "www") else bucket
