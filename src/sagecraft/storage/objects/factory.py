"""Picks the object store backend by URI scheme (``SAGECRAFT_OBJECT_STORE``):

- ``file:///path`` → FilesystemObjectStore rooted there (the default, HOME/objects);
- ``s3://[KEY:SECRET@]HOST[:PORT][/BUCKET-PREFIX][?region=…&scheme=http]`` → S3ObjectStore on that
  S3-compatible endpoint (MinIO, Ceph, another Sagecraft); ``s3://`` alone → AWS S3 with boto3's
  default credentials. Sagecraft buckets map to backend buckets named BUCKET-PREFIX + name."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sagecraft.storage.objects.base import ObjectStore

log = logging.getLogger("sagecraft.storage.objects")

SPOOL_PREFIX = "upload-"  # the gateway's spool files (gateway/body.py)


def open_object_store(uri: str, *, spool_dir: str | os.PathLike | None = None) -> ObjectStore:
    """Open the store a URI names. Call once at start-up: it also removes request-body spool
    files a crash left behind (no request is in flight yet)."""
    if spool_dir is not None:
        clean_spool(Path(spool_dir))
    parts = urlsplit(uri)
    if parts.scheme == "file":
        from sagecraft.storage.objects.filesystem import FilesystemObjectStore

        return FilesystemObjectStore(unquote(parts.path))
    if parts.scheme == "s3":
        from sagecraft.storage.objects.s3 import S3ObjectStore

        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        endpoint = query.get("endpoint_url")
        if endpoint is None and parts.hostname:
            scheme = query.get("scheme", "https")
            endpoint = f"{scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return S3ObjectStore(
            endpoint_url=endpoint,
            region=query.get("region", "us-east-1"),
            access_key_id=unquote(parts.username) if parts.username else None,
            secret_access_key=unquote(parts.password) if parts.password else None,
            bucket_prefix=parts.path.strip("/"),
        )
    raise ValueError(f"Unsupported object store URI {uri!r}: use file:///path or s3://host[:port].")


def clean_spool(spool_dir: Path) -> int:
    removed = 0
    if not spool_dir.is_dir():
        return removed
    for entry in os.scandir(spool_dir):
        if entry.name.startswith(SPOOL_PREFIX) and entry.is_file():
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    if removed:
        log.info("removed %d request-body spool file(s) left by an unclean shutdown", removed)
    return removed
