"""Multipart uploads on the wire."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.services.s3 import errors
from sagecraft.services.s3.conditions import parse_copy_source
from sagecraft.services.s3.multipart import CompletedPart
from sagecraft.services.s3.provider_encryption import object_arn
from sagecraft.services.s3.wire import (
    checksum_members,
    claimed_checksums,
    conditions,
    encode_key,
    object_location,
    object_write,
    owner,
    sse_members,
)
from sagecraft.storage.objects.base import PartInfo, UploadInfo


class MultipartOperations:
    """Mixed into S3Provider (which provides ``service`` and ``multipart``)."""

    def create_multipart_upload(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        self.refuse_customer_keys(params)
        self.check_write_key(context, params, params["Bucket"])
        upload = self.multipart.create(params["Bucket"], params["Key"], object_write(params),
                                       params.get("ChecksumType"))
        out = {"Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.upload_id, **sse_members(upload.meta)}
        if upload.checksum_algorithm:
            out["ChecksumAlgorithm"] = upload.checksum_algorithm
            out["ChecksumType"] = upload.checksum_type
        return out

    def upload_part(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        body = params["Body"]
        write = object_write(params, body)
        upload = self.multipart.upload(params["Bucket"], params["Key"], params["UploadId"])
        # AWS asks kms:Decrypt of SSE-KMS uploads' parts
        self.check_read_key(context, upload.meta, object_arn(upload.bucket, upload.key))
        upload, part = self.multipart.upload_part(params["Bucket"], params["Key"], params["UploadId"],
                                                  params["PartNumber"], body, write)
        return {"ETag": part.etag, **checksum_members(_visible(upload, part) | write.checksums),
                **sse_members(upload.meta)}

    def upload_part_copy(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        source = parse_copy_source(params["CopySource"])
        self.check_read_key(context, self.service.head(source.bucket, source.key).meta,
                            object_arn(source.bucket, source.key))
        upload, part = self.multipart.upload_part_copy(
            params["Bucket"], params["Key"], params["UploadId"], params["PartNumber"], source,
            params.get("CopySourceRange"), conditions(params, "CopySource"))
        result = {"ETag": part.etag, "LastModified": part.last_modified, **checksum_members(_visible(upload, part))}
        return {"CopyPartResult": result, **sse_members(upload.meta)}

    def complete_multipart_upload(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        listed = (params.get("MultipartUpload") or {}).get("Parts") or []
        parts = []
        for item in listed:
            if "PartNumber" not in item or "ETag" not in item:
                raise errors.malformed_xml()
            parts.append(CompletedPart(item["PartNumber"], item["ETag"], claimed_checksums(
                {k: v for k, v in item.items() if k.startswith("Checksum")})))
        bucket, key = params["Bucket"], params["Key"]
        info = self.multipart.complete(bucket, key, params["UploadId"], parts, claimed=claimed_checksums(params),
                                       object_size=params.get("MpuObjectSize"), if_match=params.get("IfMatch"),
                                       if_none_match=params.get("IfNoneMatch"))
        return {"Location": object_location(context, bucket, key), "Bucket": bucket, "Key": key, "ETag": info.etag,
                **checksum_members(info.meta.checksums, info.meta.checksum_type), **sse_members(info.meta)}

    def abort_multipart_upload(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        self.multipart.abort(params["Bucket"], params["Key"], params["UploadId"])
        return {}

    def list_parts(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        marker = params.get("PartNumberMarker") or 0
        max_parts = params.get("MaxParts", 1000)
        upload, parts, truncated = self.multipart.list_parts(params["Bucket"], params["Key"], params["UploadId"],
                                                             marker, max_parts)
        out: dict = {
            "Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.upload_id,
            "PartNumberMarker": marker, "MaxParts": max_parts, "IsTruncated": truncated,
            "Parts": [{"PartNumber": p.number, "LastModified": p.last_modified, "ETag": p.etag, "Size": p.size,
                       **checksum_members(_visible(upload, p))} for p in parts],
            "Initiator": owner(self.service), "Owner": owner(self.service),
            "StorageClass": upload.meta.storage_class,
        }
        if parts:
            out["NextPartNumberMarker"] = parts[-1].number
        if upload.checksum_algorithm:
            out["ChecksumAlgorithm"] = upload.checksum_algorithm
            out["ChecksumType"] = upload.checksum_type
        return out

    def list_multipart_uploads(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        encoding = params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        key_marker, upload_id_marker = params.get("KeyMarker") or "", params.get("UploadIdMarker") or ""
        max_uploads = params.get("MaxUploads", 1000)
        page = self.multipart.list_uploads(params["Bucket"], prefix=prefix, delimiter=delimiter,
                                           key_marker=key_marker, upload_id_marker=upload_id_marker,
                                           max_uploads=max_uploads)
        out: dict = {
            "Bucket": params["Bucket"], "KeyMarker": encode_key(key_marker, encoding),
            "UploadIdMarker": upload_id_marker, "Prefix": encode_key(prefix, encoding),
            "MaxUploads": max_uploads, "IsTruncated": page.truncated,
            "Uploads": [_listed_upload(u, encoding, owner(self.service)) for u in page.uploads],
            "CommonPrefixes": [{"Prefix": encode_key(p, encoding)} for p in page.common_prefixes],
        }
        if delimiter:
            out["Delimiter"] = encode_key(delimiter, encoding)
        if encoding:
            out["EncodingType"] = encoding
        last = max([u.key for u in page.uploads[-1:]] + page.common_prefixes[-1:], key=str.encode, default=None)
        if page.truncated and last is not None:
            out["NextKeyMarker"] = encode_key(last, encoding)
            if page.uploads and page.uploads[-1].key == last:
                out["NextUploadIdMarker"] = page.uploads[-1].upload_id
        return out


def _visible(upload: UploadInfo, part: PartInfo) -> dict[str, str]:
    """A part's checksum in the upload's algorithm (others are kept for S3's default object checksum)."""
    algorithm = upload.checksum_algorithm
    return {algorithm: part.checksums[algorithm]} if algorithm and algorithm in part.checksums else {}


def _listed_upload(upload: UploadInfo, encoding: str | None, who: dict) -> dict:
    item = {"UploadId": upload.upload_id, "Key": encode_key(upload.key, encoding), "Initiated": upload.initiated,
            "StorageClass": upload.meta.storage_class, "Owner": who, "Initiator": who}
    if upload.checksum_algorithm:
        item["ChecksumAlgorithm"] = upload.checksum_algorithm
        item["ChecksumType"] = upload.checksum_type
    return item
