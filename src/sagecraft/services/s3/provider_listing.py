"""ListObjectsV2 and ListObjects (v1) on the wire."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.s3.models import ListRequest
from sagecraft.services.s3.wire import decode_token, encode_key, encode_token, listed_object, owner


class ListingOperations:
    """Mixed into S3Provider (which provides ``service``)."""

    def list_objects_v2(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        bucket, encoding = params["Bucket"], params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        token, start_after = params.get("ContinuationToken"), params.get("StartAfter")
        after = decode_token(token) if token is not None else (start_after or "")
        max_keys = params.get("MaxKeys", 1000)
        page = self.service.list_objects(bucket, ListRequest(prefix, delimiter, after, max_keys))
        with_owner = owner(self.service) if params.get("FetchOwner") else None
        out: dict = {
            "Name": bucket,
            "Prefix": encode_key(prefix, encoding),
            "MaxKeys": max_keys,
            "KeyCount": len(page.objects) + len(page.common_prefixes),
            "IsTruncated": page.truncated,
            "Contents": [listed_object(o, encoding, with_owner) for o in page.objects],
            "CommonPrefixes": [{"Prefix": encode_key(p, encoding)} for p in page.common_prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_key(delimiter, encoding)
        if encoding:
            out["EncodingType"] = encoding
        if token is not None:
            out["ContinuationToken"] = token
        if start_after:
            out["StartAfter"] = encode_key(start_after, encoding)
        if page.truncated and page.last is not None:
            out["NextContinuationToken"] = encode_token(page.last)
        return out

    def list_objects(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        bucket, encoding = params["Bucket"], params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        marker = params.get("Marker") or ""
        max_keys = params.get("MaxKeys", 1000)
        page = self.service.list_objects(bucket, ListRequest(prefix, delimiter, marker, max_keys))
        with_owner = owner(self.service)
        out: dict = {
            "Name": bucket,
            "Prefix": encode_key(prefix, encoding),
            "Marker": encode_key(marker, encoding),
            "MaxKeys": max_keys,
            "IsTruncated": page.truncated,
            "Contents": [listed_object(o, encoding, with_owner) for o in page.objects],
            "CommonPrefixes": [{"Prefix": encode_key(p, encoding)} for p in page.common_prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_key(delimiter, encoding)
        if encoding:
            out["EncodingType"] = encoding
        # S3 sends NextMarker only with a delimiter; without one, clients continue after the last key.
        if page.truncated and delimiter and page.last is not None:
            out["NextMarker"] = encode_key(page.last, encoding)
        return out
