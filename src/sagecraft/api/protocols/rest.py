"""What rest-json and rest-xml share: URI-template routing and binding members to the URI,
query string, headers, status code and payload."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse
from sagecraft.api.protocols.values import format_text_scalar, parse_text_scalar
from sagecraft.core.errors import UnknownOperation

_LABEL = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass(frozen=True)
class _Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern
    literal_query: tuple[tuple[str, str | None], ...]
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]

    @property
    def specificity(self) -> int:
        return len(self.literal_query) + len(self.required_query) + len(self.required_headers)

    def matches(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> re.Match | None:
        if method != self.method:
            return None
        for key, value in self.literal_query:
            if key not in query or (value is not None and query[key] != value):
                return None
        if any(key not in query for key in self.required_query):
            return None
        if any(name not in headers for name in self.required_headers):
            return None
        return self.pattern.match(path)


def _compile(operation: OperationModel) -> _Route:
    uri = operation.http["requestUri"]
    path_part, _, query_part = uri.partition("?")
    regex = ""
    position = 0
    for label in _LABEL.finditer(path_part):
        regex += re.escape(path_part[position:label.start()])
        name, greedy = label.group(1), label.group(2)
        regex += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        position = label.end()
    regex += re.escape(path_part[position:])
    if not regex.endswith("/"):
        regex += "/?"  # tolerate a trailing slash (clients send "/bucket/" for bucket operations)
    literal = []
    for item in filter(None, query_part.split("&")):
        key, eq, value = item.partition("=")
        literal.append((key, value if eq else None))
    required_query: list[str] = []
    required_headers: list[str] = []
    shape = operation.input_shape
    if shape is not None:
        for name in shape.required_members:
            member = shape.members[name]
            location = member.serialization.get("location")
            if location == "querystring" and "name" in member.serialization:
                required_query.append(member.serialization["name"])
            elif location == "header":
                required_headers.append(member.serialization["name"].lower())
    return _Route(operation, operation.http["method"], re.compile(f"^{regex}$"), tuple(literal),
                  tuple(required_query), tuple(required_headers))


class RestRouter:
    """Finds the operation a request addresses: the most specific route that matches."""

    def __init__(self, model: ServiceModel) -> None:
        routes = [_compile(model.operation_model(name)) for name in model.operation_names]
        # Some operations look alike on the wire (S3's GetBucketLifecycle and its successor
        # GetBucketLifecycleConfiguration): the current one wins the tie.
        self._routes = sorted(routes, key=lambda r: (-r.specificity, r.operation.deprecated))

    def resolve(self, request: HttpRequest, path: str) -> tuple[OperationModel, dict[str, str]]:
        query = dict(request.query)
        for route in self._routes:
            match = route.matches(request.method, path, query, request.headers)
            if match:
                return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
        raise UnknownOperation(f"No operation matches {request.method} {path}.")


def bind_input(
    shape: Shape | None,
    request: HttpRequest,
    labels: dict[str, str],
    parse_document: Callable[[Shape, bytes, str], dict],
) -> dict:
    """Collect an operation's input members from every part of the request."""
    if shape is None:
        return {}
    params: dict = {}
    query_pairs = request.query
    payload_name = shape.serialization.get("payload")
    body_members = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = parse_text_scalar(member, labels[wire], name)
        elif location == "querystring":
            _bind_query(params, name, member, wire, query_pairs)
        elif location == "header":
            value = request.headers.get(wire.lower())
            if value is not None:
                if member.type_name == "list":
                    params[name] = [v.strip() for v in value.split(",")]
                else:
                    params[name] = parse_text_scalar(member, value, name, "rfc822")
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix):]: v for k, v in request.headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        elif name != payload_name and location is None:
            body_members = True
    if payload_name:
        member = shape.members[payload_name]
        if member.type_name in ("blob", "string"):
            # Blobs stay as the Body object: large uploads are never held in memory.
            params[payload_name] = request.body if member.type_name == "blob" else request.body.read().decode()
        elif request.body.size:
            params[payload_name] = parse_document(member, request.body.read(), payload_name)
    elif body_members and request.body.size:
        params.update(parse_document(shape, request.body.read(), ""))
    return params


def _bind_query(params: dict, name: str, member: Shape, wire: str, pairs: list[tuple[str, str]]) -> None:
    if member.type_name == "map":
        params[name] = {k: v for k, v in pairs}
        return
    values = [v for k, v in pairs if k == wire]
    if not values:
        return
    if member.type_name == "list":
        params[name] = [parse_text_scalar(member.member, v, name) for v in values]
    else:
        params[name] = parse_text_scalar(member, values[0], name)


def output_headers(shape: Shape | None, output: dict) -> tuple[int | None, dict[str, str]]:
    """The status code and headers an output asks for through its located members."""
    status = None
    headers: dict[str, str] = {}
    if shape is None:
        return status, headers
    for name, member in shape.members.items():
        value = output.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        if location == "header":
            if member.type_name == "list":
                headers[member.serialization["name"].lower()] = ",".join(str(v) for v in value)
            else:
                headers[member.serialization["name"].lower()] = format_text_scalar(member, value, "rfc822")
        elif location == "headers":
            prefix = member.serialization.get("name", "").lower()
            for key, item in value.items():
                headers[prefix + key.lower()] = str(item)
        elif location == "statusCode":
            status = int(value)
    return status, headers


def has_body_members(shape: Shape | None) -> bool:
    if shape is None:
        return False
    return any(m.serialization.get("location") is None for m in shape.members.values())


class RestProtocol:
    """What rest-json and rest-xml share; subclasses say how a document is parsed and encoded."""

    content_type = ""
    request_id_header = "x-amzn-requestid"
    raw_payload_content_type: str | None = None  # the content type of blob payloads without one

    def __init__(self, service: ServiceInfo) -> None:
        self.service = service
        self.router = RestRouter(service.model)

    def resolve(self, request: HttpRequest) -> OperationModel:
        # Match the path as sent: the router decodes each label once (a key may hold "%2F").
        operation, labels = self.router.resolve(request, request.path_prefix + request.raw_path)
        request.labels = labels
        return operation

    def parse(self, request: HttpRequest, operation: OperationModel) -> dict:
        return bind_input(operation.input_shape, request, request.labels, self.parse_document)

    def parse_document(self, shape: Shape, raw: bytes, path: str) -> dict:
        raise NotImplementedError

    def encode_document(self, shape: Shape, value: dict, tag: str) -> bytes:
        raise NotImplementedError

    def root_tag(self, operation: OperationModel) -> str:
        return operation.name + "Result"

    def serialize(self, operation: OperationModel, output: dict | None, request_id: str) -> HttpResponse:
        output = output or {}
        shape = operation.output_shape
        status, headers = output_headers(shape, output)
        headers[self.request_id_header] = request_id
        body: object = b""
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload:
            member = shape.members[payload]
            value = output.get(payload)
            if member.type_name in ("blob", "string"):
                body = value.encode() if isinstance(value, str) else (value if value is not None else b"")
                if self.raw_payload_content_type:
                    headers.setdefault("content-type", self.raw_payload_content_type)
            elif value is not None:
                body = self.encode_document(member, value, member.serialization.get("name", payload))
                headers.setdefault("content-type", self.content_type)
        elif has_body_members(shape):
            unlocated = {k: v for k, v in output.items()
                         if k in shape.members and shape.members[k].serialization.get("location") is None}
            body = self.encode_document(shape, unlocated, self.root_tag(operation))
            headers.setdefault("content-type", self.content_type)
        return HttpResponse(status or operation.http.get("responseCode", 200), headers, body)
