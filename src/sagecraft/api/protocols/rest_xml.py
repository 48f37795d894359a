"""REST-XML (S3)."""

from __future__ import annotations

from botocore.model import OperationModel, Shape

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpResponse
from sagecraft.api.protocols.rest import RestProtocol
from sagecraft.api.protocols.xmldoc import from_xml, parse_xml, to_xml
from sagecraft.core.errors import AwsError

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _parse_document(shape: Shape, raw: bytes, path: str) -> dict:
    return from_xml(shape, parse_xml(raw), path)


class RestXmlProtocol(RestProtocol):
    content_type = "application/xml"
    request_id_header = "x-amz-request-id"

    def __init__(self, service: ServiceInfo, root_tags: dict[str, str] | None = None,
                 namespace: str | None = None) -> None:
        super().__init__(service)
        # botocore's models do not name an output's root element; the service's provider does.
        self.root_tags = root_tags or {}
        self.namespace = namespace

    def parse_document(self, shape: Shape, raw: bytes, path: str) -> dict:
        return _parse_document(shape, raw, path)

    def encode_document(self, shape: Shape, value: dict, tag: str) -> bytes:
        return (_XML_DECLARATION + to_xml(shape, value, tag, self.namespace)).encode()

    def root_tag(self, operation: OperationModel) -> str:
        return self.root_tags.get(operation.name, operation.name + "Result")

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
