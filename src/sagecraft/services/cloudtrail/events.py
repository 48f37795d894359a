"""CloudTrail's event record for one API call, with secrets and payloads left out."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from sagecraft.core.context import RequestContext

EVENT_VERSION = "1.08"
# Request members never written to the trail: credentials, key material, payloads.
SECRET_MEMBERS = {"secretaccesskey", "sessiontoken", "password", "plaintext", "body", "ciphertextblob", "policy",
                  "sseCustomerKey".lower(), "ssekmsencryptioncontext", "newpassword", "oldpassword", "record"}
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Lookup", "BatchGet", "Query", "Simulate")
MAX_VALUE_CHARS = 1024


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        return {k: _clean(v, depth + 1) for k, v in value.items() if k.lower() not in SECRET_MEMBERS}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value[:100]]
    if isinstance(value, bytes | bytearray):
        return None
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return None  # streams and other objects: not part of the record


def user_identity(context: RequestContext) -> dict:
    principal = context.principal
    identity = {"principalId": principal.user_id, "arn": principal.arn, "accountId": principal.account_id,
                "accessKeyId": principal.access_key_id}
    if principal.arn.endswith(":root"):
        identity["type"] = "Root"
    elif ":assumed-role/" in principal.arn:
        identity["type"] = "AssumedRole"
    else:
        identity["type"] = "IAMUser"
        identity["userName"] = principal.arn.rsplit("/", 1)[-1]
    return identity


def api_call(context: RequestContext, signing_name: str, operation: str, params: dict | None,
             error: tuple[str, str] | None, user_agent: str, when: float | None = None) -> dict:
    """The event for one call; ``error`` is (code, message) when it failed; ``when`` its epoch time."""
    moment = dt.datetime.fromtimestamp(when, dt.timezone.utc) if when is not None else dt.datetime.now(dt.timezone.utc)
    event = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(context),
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{signing_name}.amazonaws.com",
        "eventName": operation,
        "awsRegion": context.region,
        "sourceIPAddress": context.source_ip,
        "userAgent": user_agent,
        "requestParameters": _clean(params) if params else None,
        "responseElements": None,
        "requestID": context.request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": operation.startswith(READ_ONLY_PREFIXES),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": context.account_id,
        "eventCategory": "Management",
    }
    if error is not None:
        event["errorCode"], event["errorMessage"] = error
    return event


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def decode_token(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode())
