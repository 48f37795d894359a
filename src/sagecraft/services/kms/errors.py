"""KMS's error codes, as KMS words them."""

from __future__ import annotations

from sagecraft.core.errors import ClientError


class NotFoundException(ClientError):
    code = "NotFoundException"


class DisabledException(ClientError):
    code = "DisabledException"


class KMSInvalidStateException(ClientError):
    code = "KMSInvalidStateException"


class InvalidCiphertextException(ClientError):
    code = "InvalidCiphertextException"


class IncorrectKeyException(ClientError):
    code = "IncorrectKeyException"


class AlreadyExistsException(ClientError):
    code = "AlreadyExistsException"


class InvalidAliasNameException(ClientError):
    code = "InvalidAliasNameException"


class MalformedPolicyDocumentException(ClientError):
    code = "MalformedPolicyDocumentException"


class UnsupportedOperationException(ClientError):
    code = "UnsupportedOperationException"


class InvalidGrantIdException(ClientError):
    code = "InvalidGrantIdException"


class InvalidGrantTokenException(ClientError):
    code = "InvalidGrantTokenException"


class DryRunOperationException(ClientError):
    code = "DryRunOperationException"
    status = 412


class LimitExceededException(ClientError):
    code = "LimitExceededException"
