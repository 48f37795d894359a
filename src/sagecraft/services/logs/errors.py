"""CloudWatch Logs errors, with the codes the service answers."""

from __future__ import annotations

from sagecraft.core.errors import ClientError


class ResourceNotFoundException(ClientError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(ClientError):
    code = "ResourceAlreadyExistsException"


class InvalidParameterException(ClientError):
    code = "InvalidParameterException"


def group_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("The specified log group does not exist.")


def stream_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("The specified log stream does not exist.")
