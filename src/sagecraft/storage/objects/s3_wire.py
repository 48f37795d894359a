"""How S3ObjectStore carries an object's facts to and from its backend's S3 API."""

from __future__ import annotations

import datetime as dt
import json

from sagecraft.storage.objects.base import ObjectInfo, ObjectMeta, UploadInfo

RESERVED = "sagecraft-meta"  # user-metadata entry for the facts S3 has no field for
HEADER_MEMBERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                  "WebsiteRedirectLocation")


def put_args(meta: ObjectMeta) -> dict:
    """PutObject / CopyObject / CreateMultipartUpload arguments describing an object."""
    args: dict = {"ContentType": meta.content_type}
    for name, value in meta.headers.items():
        if name in HEADER_MEMBERS:
            args[name] = dt.datetime.fromisoformat(value) if name == "Expires" else value
    extra = {k: v for k, v in (("sse", meta.sse), ("checksum_type", meta.checksum_type)) if v}
    args["Metadata"] = {**meta.metadata, **({RESERVED: json.dumps(extra, separators=(",", ":"))} if extra else {})}
    if meta.storage_class and meta.storage_class != "STANDARD":
        args["StorageClass"] = meta.storage_class
    return args


def checksum_args(checksums: dict[str, str]) -> dict:
    """Whole-object checksums the backend should verify (composite ones it computes itself)."""
    return {f"Checksum{algorithm}": value for algorithm, value in checksums.items() if value and "-" not in value}


def object_info(bucket: str, key: str, reply: dict) -> ObjectInfo:
    """An ObjectInfo from a HeadObject / GetObject reply."""
    metadata = dict(reply.get("Metadata") or {})
    extra = json.loads(metadata.pop(RESERVED, "{}") or "{}")
    headers = {}
    for name in HEADER_MEMBERS:
        value = reply.get(name)
        if value is not None:
            headers[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    checksums = {name[len("Checksum"):]: value for name, value in reply.items()
                 if name.startswith("Checksum") and name not in ("ChecksumType", "ChecksumMode") and value}
    meta = ObjectMeta(
        content_type=reply.get("ContentType") or "binary/octet-stream",
        metadata=metadata,
        headers=headers,
        checksums=checksums,
        checksum_type=reply.get("ChecksumType") or extra.get("checksum_type"),
        sse=extra.get("sse", {}),
        storage_class=reply.get("StorageClass") or "STANDARD",
    )
    return ObjectInfo(bucket, key, reply.get("ContentLength", 0), reply["ETag"], reply["LastModified"], meta)


def upload_meta(bucket: str, item: dict, known: UploadInfo | None) -> UploadInfo:
    """An UploadInfo from a ListMultipartUploads entry (and what this process remembers of it)."""
    meta = known.meta if known is not None else ObjectMeta(storage_class=item.get("StorageClass", "STANDARD"))
    return UploadInfo(bucket, item["Key"], item["UploadId"], item["Initiated"], meta, item.get("ChecksumAlgorithm"),
                      item.get("ChecksumType"))
