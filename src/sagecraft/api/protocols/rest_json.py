"""REST-JSON (sagemaker-runtime, featurestore-runtime, sagemaker-metrics)."""

from __future__ import annotations

import json

from botocore.model import Shape

from sagecraft.api.protocols.http import HttpResponse
from sagecraft.api.protocols.json_rpc import SerializationError, json_error
from sagecraft.api.protocols.jsondoc import from_json, to_json
from sagecraft.api.protocols.rest import RestProtocol
from sagecraft.core.errors import AwsError


def _parse_document(shape: Shape, raw: bytes, path: str) -> dict:
    try:
        document = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise SerializationError("The request body is not valid JSON.") from None
    if shape.type_name == "structure" and not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return from_json(shape, document, path)


class RestJsonProtocol(RestProtocol):
    content_type = "application/json"
    raw_payload_content_type = "application/octet-stream"

    def parse_document(self, shape: Shape, raw: bytes, path: str) -> dict:
        return _parse_document(shape, raw, path)

    def encode_document(self, shape: Shape, value: dict, tag: str) -> bytes:
        return json.dumps(to_json(shape, value)).encode()

    def serialize_error(self, error: AwsError, request_id: str) -> HttpResponse:
        return json_error(error, request_id, self.content_type)
