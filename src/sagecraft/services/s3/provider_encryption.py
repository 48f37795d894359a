"""Encryption on the S3 wire (mixed into ``S3Provider``): buckets' default encryption, and the KMS
permissions S3 asks of a caller for SSE-KMS objects — ``kms:GenerateDataKey`` to write one,
``kms:Decrypt`` to read one (or to upload its parts), as AWS requires."""

from __future__ import annotations

from collections.abc import Callable

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import AccessDenied, AwsError
from sagecraft.services.s3.bucket_encryption import BucketEncryption
from sagecraft.services.s3.service import S3Service
from sagecraft.storage.objects.base import ObjectMeta

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# (the caller's request, "kms:Decrypt", the key's id/ARN/alias or None for aws/s3, the object's ARN —
# S3's encryption context) → raises if refused
KeyAccess = Callable[[RequestContext, str, str | None, str | None], None]


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _allow_everything(context: RequestContext, action: str, key_ref: str | None, arn: str | None = None) -> None:
    return None


class EncryptionOperations:
    service: S3Service
    bucket_encryption: BucketEncryption
    key_access: KeyAccess = staticmethod(_allow_everything)

    def put_bucket_encryption(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        self.bucket_encryption.put(params["Bucket"], params.get("ServerSideEncryptionConfiguration") or {})
        return {}

    def get_bucket_encryption(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        return {"ServerSideEncryptionConfiguration": self.bucket_encryption.get(params["Bucket"])}

    def delete_bucket_encryption(self, context: RequestContext, params: dict) -> dict:
        self.service.get_bucket(params["Bucket"], params.get("ExpectedBucketOwner"))
        self.bucket_encryption.delete(params["Bucket"])  # back to S3's default, SSE-S3
        return {}

    # --- the caller's KMS permissions --------------------------------------------------------------

    def _check_key(self, context: RequestContext, action: str, key_ref: str | None, arn: str | None) -> None:
        try:
            self.key_access(context, action, key_ref, arn)
        except AccessDenied as denied:  # S3 words it AccessDenied, not AccessDeniedException
            raise AwsError(denied.message, code="AccessDenied", status=403) from None

    def check_write_key(self, context: RequestContext, params: dict, bucket: str) -> None:
        """Before writing an SSE-KMS object (asked for, or by the bucket's default)."""
        algorithm, key_ref = params.get("ServerSideEncryption"), params.get("SSEKMSKeyId")
        if not algorithm:
            default = self.bucket_encryption.default_sse(bucket) or {}
            algorithm, key_ref = default.get("ServerSideEncryption"), default.get("SSEKMSKeyId")
        if algorithm in KMS_ALGORITHMS:
            self._check_key(context, "kms:GenerateDataKey", key_ref, object_arn(bucket, params["Key"]))

    @staticmethod
    def refuse_customer_keys(params: dict) -> None:
        """SSE-C: refused plainly rather than silently storing the object unencrypted."""
        if params.get("SSECustomerAlgorithm") or params.get("CopySourceSSECustomerAlgorithm"):
            raise AwsError(
                "Server-side encryption with customer-provided keys (SSE-C) is not supported by Sagecraft yet.",
                code="NotImplemented",
                status=501,
            )

    def check_read_key(self, context: RequestContext, meta: ObjectMeta, arn: str | None = None) -> None:
        """Before handing out an SSE-KMS object's bytes (``arn``: the object's, its encryption context)."""
        if meta.sse.get("ServerSideEncryption") in KMS_ALGORITHMS:
            self._check_key(context, "kms:Decrypt", meta.sse.get("SSEKMSKeyId"), arn)
