"""REST-JSON (sagemaker-runtime, featurestore-runtime, sagemaker-metrics)."""

from __future__ import annotations

import json

from botocore.model import OperationModel, Shape

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse
from sagecraft.api.protocols.json_rpc import SerializationError, json_error
from sagecraft.api.protocols.jsondoc import from_json, to_json
from sagecraft.api.protocols.rest import RestRouter, bind_input, has_body_members, output_headers
from sagecraft.core.errors import AwsError


def _parse_document(shape: Shape, raw: bytes, path: str) -> dict:
    try:
        document = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise SerializationError("The request body is not valid JSON.") from None
    if shape.type_name == "structure" and not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return from_json(shape, document, path)


class RestJsonProtocol:
    content_type = "application/json"

    def __init__(self, service: ServiceInfo) -> None:
        self.service = service
        self.router = RestRouter(service.model)

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
        headers["x-amzn-requestid"] = request_id
        body: object = b""
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload:
            member = shape.members[payload]
            value = output.get(payload)
            if member.type_name in ("blob", "string"):
                body = value.encode() if isinstance(value, str) else (value if value is not None else b"")
                headers.setdefault("content-type", "application/octet-stream")
            elif value is not None:
                body = json.dumps(to_json(member, value)).encode()
                headers.setdefault("content-type", self.content_type)
        elif has_body_members(shape):
            located = {k: v for k, v in output.items() if not shape.members.get(k) or
                       shape.members[k].serialization.get("location") is None}
            body = json.dumps(to_json(shape, located)).encode()
            headers.setdefault("content-type", self.content_type)
        return HttpResponse(status or operation.http.get("responseCode", 200), headers, body)

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        return json_error(error, request_id, self.content_type)
