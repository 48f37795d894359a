"""The S3 provider: the only module group that speaks S3's wire (botocore member names, XML root
elements, statuses). Buckets and objects here; listings and multipart uploads in their own
modules, mixed into ``S3Provider``."""

from __future__ import annotations

from xml.sax.saxutils import escape

from sagecraft.api.protocols.http import HttpResponse
from sagecraft.core.context import RequestContext
from sagecraft.core.errors import AwsError
from sagecraft.services.s3 import errors
from sagecraft.services.s3.bucket_encryption import BucketEncryption
from sagecraft.services.s3.bucket_policies import BucketPolicies
from sagecraft.services.s3.conditions import parse_copy_source
from sagecraft.services.s3.multipart import MultipartService
from sagecraft.services.s3.provider_encryption import EncryptionOperations, KeyAccess, object_arn
from sagecraft.services.s3.provider_listing import ListingOperations
from sagecraft.services.s3.provider_multipart import MultipartOperations
from sagecraft.services.s3.provider_policy import PolicyOperations
from sagecraft.services.s3.service import DEFAULT_REGION, S3Service
from sagecraft.services.s3.wire import (
    checksum_members,
    conditions,
    object_members,
    object_write,
    owner,
    respond,
    sse_members,
)
from sagecraft.storage.objects.base import ObjectStore

XML_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"


class S3Provider(ListingOperations, MultipartOperations, PolicyOperations, EncryptionOperations):
    service_name = "s3"
    xml_namespace = XML_NAMESPACE
    # Operations that may read or write many bytes or rows run in worker threads; the rest (small
    # puts and gets, heads) are quicker than a thread hop and run on the event loop.
    threaded_operations = frozenset({
        "ListObjects", "ListObjectsV2", "DeleteObjects", "DeleteBucket", "CopyObject", "UploadPartCopy",
        "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListMultipartUploads",
    })
    # botocore's model does not name the root elements of S3's output documents; S3 does.
    xml_root_tags = {
        "ListBuckets": "ListAllMyBucketsResult",
        "ListObjects": "ListBucketResult",
        "ListObjectsV2": "ListBucketResult",
        "DeleteObjects": "DeleteResult",
        "CreateMultipartUpload": "InitiateMultipartUploadResult",
        "CompleteMultipartUpload": "CompleteMultipartUploadResult",
        "ListParts": "ListPartsResult",
        "ListMultipartUploads": "ListMultipartUploadsResult",
        "CopyObject": "CopyObjectResult",
        "UploadPartCopy": "CopyPartResult",
    }

    def __init__(self, store: ObjectStore, account_id: str, bucket_policies: BucketPolicies,
                 bucket_encryption: BucketEncryption, key_access: KeyAccess | None = None) -> None:
        self.service = S3Service(store, account_id)
        self.multipart = MultipartService(self.service)
        self.bucket_policies = bucket_policies
        self.bucket_encryption = bucket_encryption
        if key_access is not None:
            self.key_access = key_access

    def close(self) -> None:
        self.service.store.close()

    # buckets

    def create_bucket(self, context: RequestContext, params: dict) -> dict:
        bucket = params["Bucket"]
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint") or None
        info = self.service.create_bucket(bucket, context.region, constraint)
        location = f"/{bucket}" if info.region == DEFAULT_REGION else f"{context.endpoint_url}/{bucket}/"
        return {"Location": location, "BucketArn": f"arn:aws:s3:::{bucket}"}

    def head_bucket(self, context: RequestContext, params: dict) -> dict:
        info = self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        return {"BucketRegion": info.region, "AccessPointAlias": False}

    def list_buckets(self, context: RequestContext, params: dict) -> dict:
        after = params.get("ContinuationToken")
        buckets, next_after = self.service.list_buckets(params.get("Prefix"), params.get("MaxBuckets"), after)
        out: dict = {
            "Buckets": [{"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region} for b in buckets],
            "Owner": owner(self.service),
        }
        if next_after:
            out["ContinuationToken"] = next_after
        if params.get("Prefix") is not None:
            out["Prefix"] = params["Prefix"]
        return out

    def delete_bucket(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        self.bucket_policies.delete(params["Bucket"])  # a new bucket of that name starts without one
        self.bucket_encryption.delete(params["Bucket"])
        return {}

    def get_bucket_location(self, context: RequestContext, params: dict) -> HttpResponse:
        info = self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        # S3 answers a bare <LocationConstraint>, empty for us-east-1 (botocore reads the root's text).
        region = "" if info.region == DEFAULT_REGION else escape(info.region)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="{XML_NAMESPACE}">{region}'
                "</LocationConstraint>")
        return HttpResponse(200, {"content-type": "application/xml", "x-amz-request-id": context.request_id},
                            body.encode())

    # objects

    def put_object(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        body = params["Body"]
        self.refuse_customer_keys(params)
        self.check_write_key(context, params, params["Bucket"])
        info = self.service.put_object(params["Bucket"], params["Key"], body, object_write(params, body))
        return {"ETag": info.etag, **checksum_members(info.meta.checksums, info.meta.checksum_type),
                **sse_members(info.meta)}

    def get_object(self, context: RequestContext, params: dict) -> dict | HttpResponse:
        return self._read(context, params, head=False)

    def head_object(self, context: RequestContext, params: dict) -> dict | HttpResponse:
        return self._read(context, params, head=True)

    def _read(self, context: RequestContext, params: dict, head: bool) -> dict | HttpResponse:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        self.refuse_customer_keys(params)
        read_one = self.service.head_object if head else self.service.get_object
        try:
            read = read_one(params["Bucket"], params["Key"], conditions(params), range_header=params.get("Range"),
                            part_number=params.get("PartNumber"),
                            with_checksums=(params.get("ChecksumMode") or "").upper() == "ENABLED")
        except errors.NotModified as error:
            return HttpResponse(304, {"x-amz-request-id": context.request_id, **error.headers}, b"")
        if not head:
            try:
                self.check_read_key(context, read.info.meta, object_arn(params["Bucket"], params["Key"]))
            except AwsError:
                close = getattr(read.body, "close", None)
                if close is not None:
                    close()
                raise
        output = object_members(read, params)
        if not head:
            output["Body"] = read.body
        if read.range is not None or read.parts_count is not None:
            return respond("HeadObject" if head else "GetObject", output, 206, context)
        return output

    def delete_object(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        self.service.delete_object(params["Bucket"], params["Key"])
        return {}

    def delete_objects(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        request = params.get("Delete") or {}
        keys = [item.get("Key", "") for item in request.get("Objects") or []]
        outcome = self.service.delete_objects(params["Bucket"], keys)
        out: dict = {}
        if not request.get("Quiet"):
            out["Deleted"] = [{"Key": key} for key in outcome.deleted]
        if outcome.errors:
            out["Errors"] = [{"Key": key, "Code": code, "Message": message} for key, code, message in outcome.errors]
        return out

    def copy_object(self, context: RequestContext, params: dict) -> dict:
        self.service.check_owner(params.get("ExpectedBucketOwner"))
        if params.get("ExpectedSourceBucketOwner") is not None:
            self.service.check_owner(params["ExpectedSourceBucketOwner"])
        directive = (params.get("MetadataDirective") or "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        source = parse_copy_source(params["CopySource"])
        self.refuse_customer_keys(params)
        self.check_read_key(context, self.service.head(source.bucket, source.key).meta,
                            object_arn(source.bucket, source.key))
        self.check_write_key(context, params, params["Bucket"])
        info = self.service.copy_object(source, params["Bucket"], params["Key"], object_write(params),
                                        replace_metadata=directive == "REPLACE",
                                        source_conditions=conditions(params, "CopySource"))
        result = {"ETag": info.etag, "LastModified": info.last_modified,
                  **checksum_members(info.meta.checksums, info.meta.checksum_type)}
        return {"CopyObjectResult": result, **sse_members(info.meta)}
