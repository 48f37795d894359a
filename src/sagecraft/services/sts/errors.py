"""STS errors, with the codes STS answers (query protocol)."""

from __future__ import annotations

from sagecraft.core.errors import ClientError


class ValidationError(ClientError):
    code = "ValidationError"


class MalformedPolicyDocument(ClientError):
    code = "MalformedPolicyDocument"


class AccessDenied(ClientError):
    code = "AccessDenied"
    status = 403
