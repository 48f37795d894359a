"""Data keys for S3's encryption at rest: SSE-KMS data keys come from a KMS key (GenerateDataKey /
Decrypt, with the object's ARN as encryption context, as S3 does); SSE-S3 data keys are wrapped by
the S3 master key. KMS's refusals reach S3 clients as S3 words them (``KMS.DisabledException``…)."""

from __future__ import annotations

import base64

from sagecraft.core.errors import AwsError, ClientError
from sagecraft.security import envelope
from sagecraft.services.kms.models import Key
from sagecraft.services.kms.service import KmsService

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def s3_error(error: ClientError) -> AwsError:
    """A KMS error as S3 reports it: its code prefixed with ``KMS.``."""
    status = 403 if error.code == "AccessDeniedException" else 400
    return AwsError(error.message, code=f"KMS.{error.code}", status=status)


class S3Keyring:
    def __init__(self, kms: KmsService, master_key: bytes, account_id: str, region: str) -> None:
        self.kms = kms
        self._master = master_key
        self.account_id = account_id
        self.region = region

    def key(self, key_ref: str | None) -> Key:
        """The KMS key an SSE-KMS write names, or the account's ``aws/s3`` key when it names none."""
        try:
            if not key_ref:
                return self.kms.aws_managed_key(self.account_id, self.region, "s3")
            region = key_ref.split(":")[3] if key_ref.startswith("arn:") else self.region
            return self.kms.resolve(self.account_id, region, key_ref)
        except ClientError as error:
            raise s3_error(error) from None

    def new_data_key(self, sse: dict[str, str], object_arn: str) -> tuple[dict[str, str], bytes, str]:
        algorithm = sse.get("ServerSideEncryption")
        if algorithm == "AES256":
            if sse.get("SSEKMSKeyId"):
                raise AwsError(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header "
                    "x-amz-server-side-encryption : aws:kms",
                    code="InvalidArgument",
                    status=400,
                )
            data_key = envelope.new_key()
            wrapped = envelope.seal(self._master, data_key, object_arn.encode())
            return {"ServerSideEncryption": "AES256"}, data_key, base64.b64encode(wrapped).decode()
        if algorithm not in KMS_ALGORITHMS:
            raise AwsError("The encryption method specified is not supported", code="InvalidArgument", status=400)
        key = self.key(sse.get("SSEKMSKeyId"))
        try:
            data_key, blob = self.kms.generate_data_key(key, {"aws:s3:arn": object_arn}, None, "AES_256")
        except ClientError as error:
            raise s3_error(error) from None
        stored = {"ServerSideEncryption": algorithm, "SSEKMSKeyId": key.arn}
        if "BucketKeyEnabled" in sse:  # recorded and echoed; each object still has its own data key
            stored["BucketKeyEnabled"] = sse["BucketKeyEnabled"]
        return stored, data_key, base64.b64encode(blob).decode()

    def open_data_key(self, sse: dict[str, str], wrapped: str, object_arn: str) -> bytes:
        sealed = base64.b64decode(wrapped)
        if sse.get("ServerSideEncryption") not in KMS_ALGORITHMS:
            try:
                return envelope.open_sealed(self._master, sealed, object_arn.encode())
            except envelope.TamperedError:
                raise AwsError(
                    "The object's data key does not authenticate: its metadata was altered.",
                    code="InternalError",
                    status=500,
                ) from None
        try:
            _, data_key = self.kms.decrypt(self.account_id, sealed, {"aws:s3:arn": object_arn})
        except ClientError as error:
            raise s3_error(error) from None
        return data_key
