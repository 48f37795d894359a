"""botocore's clients against Sagecraft's protocol code, without a server: a request a real client
built is fed to our router and parser, and our serialized response to the client's parser."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
import urllib3
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from sagecraft.api.models import service_info
from sagecraft.api.protocols.http import BytesBody, HttpRequest, HttpResponse
from sagecraft.api.validation import validate
from sagecraft.gateway.protocols import ProtocolSet
from sagecraft.gateway.routing import route

ENDPOINT = "http://127.0.0.1:8642"
REGION = "us-east-1"
_PROTOCOLS = ProtocolSet({})


class Captured(Exception):  # not an error: carries the request out of the client
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


_CLIENTS: dict[str, object] = {}


def make_client(service: str, endpoint_url: str = ENDPOINT, **config):
    """A client that talks to nothing (requests are captured); cached, as building one is slow."""
    config.setdefault("retries", {"total_max_attempts": 1})
    key = repr((service, endpoint_url, sorted(config.items())))
    if key not in _CLIENTS:
        session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION)
        _CLIENTS[key] = session.client(service, endpoint_url=endpoint_url, config=Config(**config))
    return _CLIENTS[key]


def to_http_request(prepared: AWSPreparedRequest) -> HttpRequest:
    url = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    else:
        body.seek(0)
        data = body.read()
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    return HttpRequest(method=prepared.method, raw_path=url.path or "/", query_string=url.query, headers=headers,
                       body=BytesBody(data))


def capture(client, operation: str, params: dict) -> HttpRequest:
    """The request ``client`` sends for ``operation(**params)``, as our gateway would see it."""

    def stop(request, **_):
        raise Captured(request)

    client.meta.events.register_first("before-send", stop)
    try:
        getattr(client, _method(client, operation))(**params)
    except Captured as captured:
        return to_http_request(captured.request)
    finally:
        client.meta.events.unregister("before-send", stop)
    raise AssertionError("the client sent nothing")


def _method(client, operation: str) -> str:
    return xform_name(operation)


@dataclass
class Parsed:
    service: str
    operation: str
    params: dict


def parse(request: HttpRequest, check: bool = True) -> Parsed:
    """Route, resolve, parse (and validate) a request as the gateway does."""
    info = route(request)
    protocol = _PROTOCOLS.get(info)
    operation = protocol.resolve(request)
    params = protocol.parse(request, operation)
    if check:
        validate(operation.input_shape, params)
    return Parsed(info.name, operation.name, params)


def serialize(service: str, operation: str, output: dict | None = None, error=None) -> HttpResponse:
    info = service_info(service)
    protocol = _PROTOCOLS.get(info)
    if error is not None:
        return protocol.serialize_error(error, "req-1")
    return protocol.serialize(info.model.operation_model(operation), output, "req-1")


def to_aws_response(response: HttpResponse, method: str = "GET") -> AWSResponse:
    body = response.body if isinstance(response.body, bytes | bytearray) else b"".join(response.body)
    raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=response.headers, status=response.status,
                               preload_content=False, request_method=method)
    return AWSResponse(ENDPOINT + "/", response.status, response.headers, raw)


def call(client, operation: str, params: dict, respond: Callable[[Parsed], HttpResponse]) -> dict:
    """A full round trip: the client's request goes through our parser, ``respond`` answers it
    (typically with our serializer), and the client parses that answer."""

    def answer(request, **_):
        return to_aws_response(respond(parse(to_http_request(request))), request.method)

    client.meta.events.register_first("before-send", answer)
    try:
        return getattr(client, _method(client, operation))(**params)
    finally:
        client.meta.events.unregister("before-send", answer)


def assert_contains(expected, actual, path: str = "") -> None:
    """Every member of ``expected`` is in ``actual`` with an equal value (clients add members of
    their own, such as checksums, so extras are allowed)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a structure, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} is missing from {sorted(actual)}"
            assert_contains(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (left, right) in enumerate(zip(expected, actual, strict=True)):
            assert_contains(left, right, f"{path}[{i}]")
    elif isinstance(expected, dt.datetime):
        assert isinstance(actual, dt.datetime), f"{path}: {actual!r} is not a datetime"
        assert _utc(actual) == _utc(expected), f"{path}: {actual} != {expected}"
    elif isinstance(expected, bytes):
        data = actual if isinstance(actual, bytes) else actual.read()
        assert data == expected, f"{path}: {data!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
