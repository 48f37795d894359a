"""Every operation of every service the gateway routes reaches the right (service, operation)
from the request a real botocore client builds."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.model import Shape

from sagecraft.api.models import service_model
from sagecraft.gateway.routing import KNOWN_SERVICES
from tests.support.wire import capture, make_client, parse

# Operations another one looks exactly like on the wire; the gateway picks the current one.
WIRE_TWINS = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    ("s3", "ListDirectoryBuckets"): "ListBuckets",  # S3 Express: another endpoint on AWS
}


def minimal(shape: Shape, depth: int = 0):
    """A small value of ``shape`` with every required member set."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        return {name: minimal(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [minimal(shape.member, depth + 1)]
    if kind == "map":
        return {"k": minimal(shape.value, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        low = shape.metadata.get("min") or 1
        high = shape.metadata.get("max") or 64
        return "a" * max(min(max(low, 3), high), 1)
    if kind in ("integer", "long"):
        return shape.metadata.get("min") or 1
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    if kind == "blob":
        return b"x"
    return None


def _misrouted(service: str) -> list[str]:
    # Clients built without validation or host prefixes: only the routing is under test.
    client = make_client(service, parameter_validation=False, inject_host_prefix=False)
    model = service_model(service)
    problems = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        params = minimal(operation.input_shape) if operation.input_shape is not None else {}
        try:
            request = capture(client, name, params)
        except Exception as error:  # the client refused to build it: not ours to route
            problems.append(f"{name}: client could not build the request ({type(error).__name__}: {error})")
            continue
        try:
            parsed = parse(request, check=False)
        except Exception as error:
            problems.append(f"{name}: {request.method} {request.raw_path}?{request.query_string} -> "
                            f"{type(error).__name__}: {error}")
            continue
        if (parsed.service, parsed.operation) != (service, WIRE_TWINS.get((service, name), name)):
            problems.append(f"{name}: {request.method} {request.raw_path}?{request.query_string} routed to "
                            f"{parsed.service} {parsed.operation}")
    return problems


@pytest.mark.parametrize("service", KNOWN_SERVICES)
def test_every_operation_routes_to_itself(service):
    problems = _misrouted(service)
    assert not problems, f"{len(problems)} of {len(service_model(service).operation_names)} operations:\n" + \
        "\n".join(problems)
