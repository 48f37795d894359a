"""The query protocol (STS, IAM): form-encoded ``Action=…&Version=…`` in, XML out."""

from __future__ import annotations

from botocore.model import OperationModel, Shape

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse, parse_query
from sagecraft.api.protocols.values import parse_text_scalar
from sagecraft.api.protocols.xmldoc import to_xml
from sagecraft.core.errors import AwsError, UnknownOperation, ValidationException


class InvalidAction(UnknownOperation):
    code = "InvalidAction"


class MalformedQueryString(ValidationException):
    code = "MalformedQueryString"


class QueryProtocol:
    content_type = "text/xml"

    def __init__(self, service: ServiceInfo) -> None:
        self.service = service

    @staticmethod
    def form(request: HttpRequest) -> dict[str, str]:
        pairs = request.query
        if request.method == "POST" and request.body.size:
            try:
                text = request.body.read().decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedQueryString("The request body is not UTF-8 form data.") from None
            pairs = pairs + parse_query(text)
        return dict(pairs)

    def resolve(self, request: HttpRequest) -> OperationModel:
        action = self.form(request).get("Action", "")
        if action not in self.service.model.operation_names:
            raise InvalidAction(f"Could not find operation {action or '(none)'} for version {self.service.api_version}")
        return self.service.model.operation_model(action)

    def parse(self, request: HttpRequest, operation: OperationModel) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        return _read_structure(shape, self.form(request), "")

    def serialize(self, operation: OperationModel, output: dict | None, request_id: str) -> HttpResponse:
        name = operation.name
        shape = operation.output_shape
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        result = to_xml(shape, output or {}, wrapper) if wrapper else ""
        body = (
            f'<{name}Response xmlns="{self.service.xml_namespace}">{result}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>"
        )
        return HttpResponse(200, {"content-type": self.content_type, "x-amzn-requestid": request_id}, body.encode())

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        from xml.sax.saxutils import escape

        kind = "Sender" if error.sender_fault else "Receiver"
        # Query services (STS, IAM) call a failed constraint ValidationError, not ValidationException.
        code = error.query_code or ("ValidationError" if error.code == "ValidationException" else error.code)
        body = (
            f'<ErrorResponse xmlns="{self.service.xml_namespace}"><Error><Type>{kind}</Type>'
            f"<Code>{code}</Code><Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = {"content-type": self.content_type, "x-amzn-requestid": request_id, **error.headers}
        return HttpResponse(error.status, headers, body.encode())


def _read(shape: Shape, form: dict[str, str], key: str):
    kind = shape.type_name
    if kind == "structure":
        value = _read_structure(shape, form, key + ".")
        return value or None
    if kind == "list":
        flattened = shape.serialization.get("flattened")
        item = shape.member.serialization.get("name", "member")
        prefix = f"{key}." if flattened else f"{key}.{item}."
        items = []
        index = 1
        while True:
            value = _read(shape.member, form, f"{prefix}{index}")
            if value is None:
                break
            items.append(value)
            index += 1
        if not items and form.get(key) == "":
            return []  # an explicitly empty list is sent as "Name="
        return items or None
    if kind == "map":
        out = {}
        index = 1
        while f"{key}.entry.{index}.key" in form:
            map_key = form[f"{key}.entry.{index}.key"]
            out[map_key] = _read(shape.value, form, f"{key}.entry.{index}.value")
            index += 1
        return out or None
    if key not in form:
        return None
    return parse_text_scalar(shape, form[key], key)


def _read_structure(shape: Shape, form: dict[str, str], prefix: str) -> dict:
    out = {}
    for name, member in shape.members.items():
        wire = member.serialization.get("name", name)
        value = _read(member, form, prefix + wire)
        if value is not None:
            out[name] = value
    return out
