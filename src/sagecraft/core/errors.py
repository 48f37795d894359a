"""AWS-shaped errors. Each class carries the AWS error code exactly as clients match on it."""

from __future__ import annotations


class AwsError(Exception):
    """An error a client sees: an AWS error code, a message and an HTTP status."""

    code = "InternalFailure"
    status = 500
    sender_fault = False
    query_code: str | None = None  # the code awsQuery-compatible clients expect, when it differs

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # Extra response headers (e.g. S3's x-amz-delete-marker) and extra error body fields
        # (e.g. S3's <BucketName>, <Key>).
        self.headers = headers or {}
        self.fields = fields or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ClientError(AwsError):
    status = 400
    sender_fault = True


class ValidationException(ClientError):
    code = "ValidationException"


class ResourceNotFound(ClientError):
    code = "ResourceNotFound"


class ResourceInUse(ClientError):
    code = "ResourceInUse"


class ResourceLimitExceeded(ClientError):
    code = "ResourceLimitExceeded"


class ConflictException(ClientError):
    code = "ConflictException"
    status = 409


class AccessDenied(ClientError):
    code = "AccessDeniedException"
    status = 403


class UnknownOperation(ClientError):
    code = "UnknownOperationException"


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
