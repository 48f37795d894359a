"""REST-XML (S3)."""

from __future__ import annotations

from botocore.model import OperationModel, Shape

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse
from sagecraft.api.protocols.rest import RestRouter, bind_input, has_body_members, output_headers
from sagecraft.api.protocols.xmldoc import from_xml, parse_xml, to_xml
from sagecraft.core.errors import AwsError

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _parse_document(shape: Shape, raw: bytes, path: str) -> dict:
    return from_xml(shape, parse_xml(raw), path)


class RestXmlProtocol:
    content_type = "application/xml"

    def __init__(self, service: ServiceInfo, root_tags: dict[str, str] | None = None,
                 namespace: str | None = None) -> None:
        self.service = service
        self.router = RestRouter(service.model)
        # botocore's models do not name an output's root element; the service's provider does.
        self.root_tags = root_tags or {}
        self.namespace = namespace

    def resolve(self, request: HttpRequest) -> OperationModel:
        # Match the path as sent: the router decodes each label once (a key may hold "%2F").
        operation, labels = self.router.resolve(request, request.path_prefix + request.raw_path)
        request.labels = labels
        return operation

    def parse(self, request: HttpRequest, operation: OperationModel) -> dict:
        return bind_input(operation.input_shape, request, request.labels, _parse_document)

    def serialize(self, operation: OperationModel, output: dict | None, request_id: str) -> HttpResponse:
        output = output or {}
        shape = operation.output_shape
        status, headers = output_headers(shape, output)
        headers["x-amz-request-id"] = request_id
        body: object = b""
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload:
            member = shape.members[payload]
            value = output.get(payload)
            if member.type_name in ("blob", "string"):
                body = value.encode() if isinstance(value, str) else (value if value is not None else b"")
            elif value is not None:
                tag = member.serialization.get("name", payload)
                body = (_XML_DECLARATION + to_xml(member, value, tag, self.namespace)).encode()
                headers.setdefault("content-type", self.content_type)
        elif has_body_members(shape):
            tag = self.root_tags.get(operation.name, operation.name + "Result")
            body = (_XML_DECLARATION + to_xml(shape, output, tag, self.namespace)).encode()
            headers.setdefault("content-type", self.content_type)
        return HttpResponse(status or operation.http.get("responseCode", 200), headers, body)

    def serialize_error(self, error: AwsError, request_id: str, *, head: bool = False) -> HttpResponse:
        headers = {"x-amz-request-id": request_id, **error.headers}
        if head:  # HEAD responses carry no body; clients read the status alone
            return HttpResponse(error.status, headers, b"")
        extra = "".join(f"<{k}>{_escape(v)}</{k}>" for k, v in error.fields.items())
        # S3 has no ValidationException: a parameter that breaks the model is an InvalidArgument.
        code = "InvalidArgument" if error.code == "ValidationException" else error.code
        body = (
            f"{_XML_DECLARATION}<Error><Code>{code}</Code><Message>{_escape(error.message)}</Message>"
            f"{extra}<RequestId>{request_id}</RequestId></Error>"
        )
        headers["content-type"] = self.content_type
        return HttpResponse(error.status, headers, body.encode())


def _escape(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))
