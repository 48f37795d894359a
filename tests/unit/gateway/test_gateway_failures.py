"""The gateway in-process (no socket): a provider that crashes yields InternalFailure with the
request id, the traceback going only to the log; routing and auth errors come in each service's
own format."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import anyio
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sagecraft.core.context import Principal
from sagecraft.gateway.app import Gateway
from sagecraft.security.credentials import Credential, StaticCredentials

KEYS = ("AKIAUNITTEST00000000", "secret-for-unit-tests")


class CrashingProvider:
    service_name = "sagemaker"

    def list_models(self, context, params):
        raise RuntimeError("boom: a bug in a provider")

    def list_endpoints(self, context, params):
        return {"Endpoints": []}


@pytest.fixture
def gateway(tmp_path) -> Gateway:
    principal = Principal(access_key_id=KEYS[0], arn="arn:aws:iam::000000000000:root", user_id="000000000000")
    return Gateway({"sagemaker": CrashingProvider()}, StaticCredentials([Credential(*KEYS, principal)]),
                   spool_dir=str(tmp_path), version="test", account_id="000000000000")


def _call(gateway: Gateway, target: str, body: bytes = b"{}") -> tuple[int, dict[str, str], bytes]:
    request = AWSRequest("POST", "http://127.0.0.1:8642/", data=body,
                         headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(*KEYS), "sagemaker", "us-east-1").add_auth(request)
    url = urlsplit(request.url)
    scope = {"type": "http", "method": "POST", "path": url.path, "raw_path": url.path.encode(),
             "query_string": url.query.encode(), "scheme": "http", "server": ("127.0.0.1", 8642),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"host", url.netloc.encode())] + [
                 (k.lower().encode(), v.encode() if isinstance(v, str) else v) for k, v in request.headers.items()]}
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    anyio.run(gateway, scope, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_crashing_provider_is_an_internal_failure_without_traceback(gateway, caplog):
    with caplog.at_level(logging.ERROR, logger="sagecraft"):
        status, headers, body = _call(gateway, "SageMaker.ListModels")
    assert status == 500
    document = json.loads(body)
    request_id = headers["x-amzn-requestid"]
    assert document["__type"] == "InternalFailure"
    assert request_id in document["message"]
    assert "boom" not in body.decode() and "Traceback" not in body.decode()
    logged = "\n".join(record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
                       for record in caplog.records)
    assert request_id in logged and "boom" in logged  # the traceback is in the server log


def test_served_operation(gateway):
    status, _, body = _call(gateway, "SageMaker.ListEndpoints")
    assert status == 200
    assert json.loads(body) == {"Endpoints": []}


def test_unserved_operation_names_itself(gateway):
    status, _, body = _call(gateway, "SageMaker.ListTrainingJobs")
    assert status == 400
    assert json.loads(body) == {"__type": "UnknownOperationException",
                                "message": "Sagecraft does not serve sagemaker ListTrainingJobs yet."}


def test_health(gateway):
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/_sagecraft/health", "raw_path": b"/_sagecraft/health",
             "query_string": b"", "headers": []}
    anyio.run(gateway, scope, receive, send)
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"status": "ok", "version": "test"}
