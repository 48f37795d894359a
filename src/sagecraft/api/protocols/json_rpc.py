"""AWS JSON 1.0 / 1.1: ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>`` and a JSON body."""

from __future__ import annotations

import json

from botocore.model import OperationModel

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse
from sagecraft.api.protocols.jsondoc import from_json, to_json
from sagecraft.core.errors import AwsError, UnknownOperation, ValidationException


class JsonProtocol:
    def __init__(self, service: ServiceInfo) -> None:
        self.service = service
        self.content_type = f"application/x-amz-json-{service.json_version or '1.0'}"

    def resolve(self, request: HttpRequest) -> OperationModel:
        target = request.header("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        model = self.service.model
        if prefix != self.service.target_prefix or name not in model.operation_names:
            raise UnknownOperation(f"Operation {target or '(none)'} is not an operation of {self.service.name}.")
        return model.operation_model(name)

    def parse(self, request: HttpRequest, operation: OperationModel) -> dict:
        raw = request.body.read()
        if not raw.strip():
            document = {}
        else:
            try:
                document = json.loads(raw)
            except (ValueError, RecursionError):
                raise SerializationError("The request body is not valid JSON.") from None
        if not isinstance(document, dict):
            raise SerializationError("The request body must be a JSON object.")
        shape = operation.input_shape
        return from_json(shape, document, "") if shape is not None else {}

    def serialize(self, operation: OperationModel, output: dict | None, request_id: str) -> HttpResponse:
        shape = operation.output_shape
        document = to_json(shape, output or {}) if shape is not None else {}
        return HttpResponse(
            200,
            {"content-type": self.content_type, "x-amzn-requestid": request_id},
            json.dumps(document, separators=(",", ":")).encode(),
        )

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        return json_error(error, request_id, self.content_type)


class SerializationError(ValidationException):
    code = "SerializationException"


def json_error(error: AwsError, request_id: str, content_type: str) -> HttpResponse:
    body = {"__type": error.code, "message": error.message, **error.fields}
    headers = {
        "content-type": content_type,
        "x-amzn-requestid": request_id,
        "x-amzn-errortype": error.code,
        **error.headers,
    }
    if error.query_code:  # json 1.0 services that also speak query (CloudWatch) report both codes
        headers["x-amzn-query-error"] = f"{error.query_code};{'Sender' if error.sender_fault else 'Receiver'}"
    return HttpResponse(error.status, headers, json.dumps(body).encode())
