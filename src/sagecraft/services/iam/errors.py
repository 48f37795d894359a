"""IAM's error codes (query protocol), worded as IAM words them."""

from __future__ import annotations

from sagecraft.core.errors import ClientError


class NoSuchEntity(ClientError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(ClientError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(ClientError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(ClientError):
    code = "LimitExceeded"
    status = 409


class InvalidInput(ClientError):
    code = "InvalidInput"


class ValidationError(ClientError):
    code = "ValidationError"
