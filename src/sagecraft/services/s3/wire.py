"""Translation between S3's wire members (botocore names) and the S3 domain, shared by the
provider's operation groups."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from urllib.parse import quote, quote_plus

from botocore.model import OperationModel

from sagecraft.api.models import operation_model
from sagecraft.api.protocols.http import HttpResponse
from sagecraft.api.protocols.rest import output_headers
from sagecraft.core.context import RequestContext
from sagecraft.services.s3 import errors
from sagecraft.services.s3.encrypted_store import public_sse
from sagecraft.services.s3.models import DEFAULT_SSE, Conditions, ObjectRead, ObjectWrite
from sagecraft.storage.objects.base import ObjectInfo, ObjectMeta

_NOT_CHECKSUMS = ("ChecksumAlgorithm", "ChecksumType", "ChecksumMode")
_HEADER_MEMBERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                   "WebsiteRedirectLocation")
_SSE_MEMBERS = ("ServerSideEncryption", "SSEKMSKeyId", "SSEKMSEncryptionContext", "BucketKeyEnabled")
_OVERRIDES = {"ResponseCacheControl": "CacheControl", "ResponseContentDisposition": "ContentDisposition",
              "ResponseContentEncoding": "ContentEncoding", "ResponseContentLanguage": "ContentLanguage",
              "ResponseContentType": "ContentType", "ResponseExpires": "Expires"}


def claimed_checksums(params: dict, body: object = None) -> dict[str, str]:
    """The x-amz-checksum-* values a request carries, in headers or aws-chunked trailers."""
    claims = {name[len("Checksum"):]: value for name, value in params.items()
              if name.startswith("Checksum") and name not in _NOT_CHECKSUMS and isinstance(value, str)}
    for name, value in (getattr(body, "trailers", None) or {}).items():
        if name.startswith("x-amz-checksum-"):
            claims[name[len("x-amz-checksum-"):].upper()] = value
    return claims


def object_write(params: dict, body: object = None) -> ObjectWrite:
    headers = {}
    for name in _HEADER_MEMBERS:
        value = params.get(name)
        if value is None:
            continue
        if name == "Expires" and isinstance(value, dt.datetime):
            value = value.isoformat()
        if name == "ContentEncoding":  # aws-chunked framing is not part of the object
            value = ",".join(v for v in (p.strip() for p in value.split(",")) if v and v != "aws-chunked")
            if not value:
                continue
        headers[name] = value
    sse = {name: _text(params[name]) for name in _SSE_MEMBERS if params.get(name) is not None}
    meta = ObjectMeta(
        content_type=params.get("ContentType") or "binary/octet-stream",
        metadata=dict(params.get("Metadata") or {}),
        headers=headers,
        sse=sse,
        storage_class=params.get("StorageClass") or "STANDARD",
    )
    return ObjectWrite(meta=meta, content_md5=params.get("ContentMD5"), checksums=claimed_checksums(params, body),
                       checksum_algorithm=params.get("ChecksumAlgorithm"), if_match=params.get("IfMatch"),
                       if_none_match=params.get("IfNoneMatch"))


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def conditions(params: dict, prefix: str = "") -> Conditions:
    return Conditions(params.get(prefix + "IfMatch"), params.get(prefix + "IfNoneMatch"),
                      params.get(prefix + "IfModifiedSince"), params.get(prefix + "IfUnmodifiedSince"))


def sse_members(meta: ObjectMeta) -> dict:
    """x-amz-server-side-encryption and friends (SSE-S3 for objects written without any)."""
    out: dict = {"ServerSideEncryption": DEFAULT_SSE}
    for name, value in public_sse(meta.sse).items():
        if name == "SSEKMSEncryptionContext":
            continue
        out[name] = value == "true" if name == "BucketKeyEnabled" else value
    return out


def checksum_members(checksums: dict[str, str], checksum_type: str | None = None) -> dict:
    out: dict = {f"Checksum{algorithm}": value for algorithm, value in checksums.items()}
    if checksums and checksum_type:
        out["ChecksumType"] = checksum_type
    return out


def object_members(read: ObjectRead, params: dict) -> dict:
    """The members GetObject and HeadObject answer with (headers; GetObject adds the Body)."""
    info = read.info
    meta = info.meta
    out: dict = {
        "AcceptRanges": "bytes",
        "LastModified": info.last_modified,
        "ContentLength": read.range.length if read.range else info.size,
        "ETag": info.etag,
        "ContentType": meta.content_type,
        **sse_members(meta),
        **checksum_members(read.checksums, read.checksum_type),
    }
    for name, value in meta.headers.items():
        out[name] = dt.datetime.fromisoformat(value) if name == "Expires" else value
    if meta.metadata:
        out["Metadata"] = meta.metadata
    if meta.storage_class != "STANDARD":
        out["StorageClass"] = meta.storage_class
    if read.range is not None:
        out["ContentRange"] = read.range.content_range(info.size)
    if read.parts_count is not None:
        out["PartsCount"] = read.parts_count
    for override, member in _OVERRIDES.items():
        if params.get(override) is not None:
            out[member] = params[override]
    return out


def owner(service) -> dict:
    return {"ID": service.owner_id}


def encode_key(value: str, encoding: str | None) -> str:
    """encoding-type=url: keys and prefixes form-encoded, spaces as '+' (clients decode with
    unquote_plus)."""
    return quote_plus(value, safe="/") if encoding == "url" else value


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_argument("The continuation token provided is incorrect", "continuation-token",
                                      token) from None


def object_location(context: RequestContext, bucket: str, key: str) -> str:
    return f"{context.endpoint_url}/{bucket}/{quote(key, safe='/')}"


def respond(operation: str, output: dict, status: int, context: RequestContext) -> HttpResponse:
    """A response whose status the model cannot express (206 Partial Content)."""
    model: OperationModel = operation_model("s3", operation)
    _, headers = output_headers(model.output_shape, output)
    headers["x-amz-request-id"] = context.request_id
    body = output.get("Body", b"")
    return HttpResponse(status, headers, body)


def listed_object(info: ObjectInfo, encoding: str | None, with_owner: dict | None) -> dict:
    item: dict = {"Key": encode_key(info.key, encoding), "LastModified": info.last_modified, "ETag": info.etag,
                  "Size": info.size, "StorageClass": info.meta.storage_class}
    if info.meta.checksums:
        item["ChecksumAlgorithm"] = list(info.meta.checksums)
        if info.meta.checksum_type:
            item["ChecksumType"] = info.meta.checksum_type
    if with_owner is not None:
        item["Owner"] = with_owner
    return item
