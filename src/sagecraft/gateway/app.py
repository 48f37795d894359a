"""The ASGI edge: route → authenticate → parse + validate → authorize → dispatch → serialize.

Every request but the health check must carry a valid SigV4 signature. Errors reach clients in
their service's own error format; an unexpected failure is an ``InternalFailure`` carrying the
request id, its traceback only in the server log."""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Protocol

import anyio
from botocore import xform_name

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.http import HttpRequest, HttpResponse
from sagecraft.api.validation import validate
from sagecraft.core.context import RequestContext, new_request_id
from sagecraft.core.errors import (
    AccessDenied,
    AwsError,
    ClientError,
    InternalFailure,
    UnknownOperation,
    ValidationException,
)
from sagecraft.gateway.auth import auth_error
from sagecraft.gateway.body import RequestBody, read_body
from sagecraft.gateway.protocols import ProtocolSet
from sagecraft.gateway.routing import is_known_signing_name, route
from sagecraft.gateway.virtual_host import bucket_from_host
from sagecraft.security import sigv4
from sagecraft.security.credentials import Credential, CredentialStore
from sagecraft.security.sigv4 import AuthError

log = logging.getLogger("sagecraft.gateway")


class ContentSha256Mismatch(ClientError):
    code = "XAmzContentSHA256Mismatch"


class Authorizer(Protocol):
    """Decides whether the request's principal may run the operation; raises AccessDenied if not."""

    def authorize(self, context: RequestContext, service: str, operation: str, params: dict) -> None: ...


class Gateway:
    def __init__(self, providers: dict[str, object], credentials: CredentialStore, *, spool_dir: str,
                 version: str, account_id: str, internal_routes: dict | None = None,
                 authorizer: Authorizer | None = None, audit: Callable[..., None] | None = None) -> None:
        self.providers = providers
        self.credentials = credentials
        self.authorizer = authorizer
        self.audit = audit  # called once per authenticated request, allowed or not (the audit trail)
        self.spool_dir = spool_dir
        self.version = version
        self.account_id = account_id
        self.protocols = ProtocolSet(providers)
        self.internal_routes = internal_routes or {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith("/_sagecraft/"):
            await self._internal(scope, send)
            return
        response = await self._handle(scope, receive)
        await _send(send, response, head=scope["method"] == "HEAD")

    async def _internal(self, scope, send) -> None:
        handler = self.internal_routes.get(scope["path"])
        if scope["path"] == "/_sagecraft/health":
            import json

            body = json.dumps({"status": "ok", "version": self.version}).encode()
            await _send(send, HttpResponse(200, {"content-type": "application/json"}, body))
        elif handler is not None:
            await _send(send, await handler(scope))
        else:
            await _send(send, HttpResponse(404, {"content-type": "text/plain"}, b"Not Found"))

    async def _handle(self, scope, receive) -> HttpResponse:
        request_id = new_request_id()
        started = time.perf_counter()
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        request = HttpRequest(
            method=scope["method"],
            raw_path=scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
        )
        service = route(request)
        protocol = self.protocols.get(service)
        body: RequestBody | None = None
        operation_name = "-"
        context: RequestContext | None = None  # known once the caller is authenticated
        params: dict | None = None
        audit_error: tuple[str, str] | None = None
        try:
            try:
                signature = sigv4.read_signature(headers, sigv4.raw_query_pairs(request.query_string))
                sigv4.check_time(signature)
                _check_scope(signature, service)
                credential = self._credential(signature, headers)
                body = await read_body(
                    receive, headers, spool_dir=self.spool_dir,
                    hash_sha256=service.name != "s3" or _hex_sha256(headers),
                    hash_md5=service.name == "s3" and request.method in ("PUT", "POST"),
                    verify_chunk=_chunk_verifier(credential, signature),
                )
                _verify_signature(request, signature, credential, body, service)
            except AuthError as error:
                raise auth_error(service.protocol, error) from None
            request.body = body
            if service.name == "s3":
                bucket = bucket_from_host(headers.get("host", ""))
                if bucket:
                    request.path_prefix = "/" + bucket
            operation = protocol.resolve(request)
            operation_name = operation.name
            params = protocol.parse(request, operation)
            try:
                validate(operation.input_shape, params)
            except ValidationException as error:
                error.code = service.validation_code
                raise
            handler = self._handler(service, operation.name)
            context = RequestContext(
                principal=credential.principal, region=signature.region, account_id=self.account_id,
                request_id=request_id, source_ip=(scope.get("client") or ("", 0))[0],
                endpoint_url=_endpoint_url(scope, headers),
            )
            if self.authorizer is not None:
                self._authorize(context, service, operation.name, params)
            if body.path is not None or operation.name in getattr(handler.__self__, "threaded_operations", ()):
                output = await anyio.to_thread.run_sync(handler, context, params)
            else:
                # Quick operations run on the event loop: a hop to a worker thread costs more than
                # most handlers (GIL hand-off), and bounds small-request throughput.
                output = handler(context, params)
            if inspect.isawaitable(output):  # an async handler (InvokeEndpoint: awaits a model server)
                output = await output
            if isinstance(output, HttpResponse):  # a provider that answers outside its model
                return output
            return protocol.serialize(operation, output, request_id)
        except AwsError as error:
            audit_error = (error.code, error.message)
            if error.status >= 500:
                log.error("%s %s failed: %s (request %s)", service.name, operation_name, error, request_id)
            return protocol.serialize_error(error, request_id, **_head_kwargs(service, request))
        except Exception:
            log.exception("internal failure in %s %s (request %s)", service.name, operation_name, request_id)
            failure = InternalFailure(f"An internal error occurred. Request id: {request_id}.")
            audit_error = (failure.code, failure.message)
            return protocol.serialize_error(failure, request_id, **_head_kwargs(service, request))
        finally:
            if body is not None:
                body.discard()
            if self.audit is not None and context is not None:
                self.audit(context, service.signing_name, operation_name, params, audit_error,
                           headers.get("user-agent", ""))
            log.debug("%s %s %s in %.1f ms", service.name, operation_name, request_id,
                      (time.perf_counter() - started) * 1000)

    def _authorize(self, context: RequestContext, service: ServiceInfo, operation: str, params: dict) -> None:
        try:
            self.authorizer.authorize(context, service.name, operation, params)
        except AccessDenied as denied:
            # S3 and the query-protocol services (IAM, STS) say AccessDenied; the JSON ones AccessDeniedException.
            if service.protocol in ("rest-xml", "query"):
                denied.code = "AccessDenied"
            elif "awsQueryCompatible" in service.model.metadata:  # CloudWatch: JSON that reports query codes too
                denied.query_code = "AccessDenied"
            raise

    def _credential(self, signature: sigv4.Signature, headers: dict[str, str]) -> Credential:
        credential = self.credentials.lookup(signature.access_key_id)
        if credential is None:
            raise AuthError("unknown_key", f"Unknown access key {signature.access_key_id}.")
        if credential.session_token is not None:
            token = headers.get("x-amz-security-token")
            if token is None or not hmac.compare_digest(token, credential.session_token):
                raise AuthError("bad_token", "The security token included in the request is invalid.")
            if credential.expired():
                raise AuthError("expired", "The security token included in the request is expired.")
        return credential

    def _handler(self, service: ServiceInfo, operation: str):
        provider = self.providers.get(service.name)
        handler = getattr(provider, xform_name(operation), None) if provider is not None else None
        if handler is None:
            raise self.protocols.unsupported(service, operation)
        return handler


def _check_scope(signature: sigv4.Signature, service: ServiceInfo) -> None:
    if signature.service == service.signing_name:
        return
    if not is_known_signing_name(signature.service):
        raise UnknownOperation(f"Sagecraft does not serve the '{signature.service}' API (the signing name in the "
                               "request's credential scope).")
    raise AuthError("malformed", f"Credential should be scoped to correct service: '{service.signing_name}'.")


def _hex_sha256(headers: dict[str, str]) -> bool:
    value = headers.get("x-amz-content-sha256", "")
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _verify_signature(request: HttpRequest, signature: sigv4.Signature, credential: Credential,
                      body: RequestBody, service: ServiceInfo) -> None:
    declared = request.headers.get("x-amz-content-sha256")
    if signature.presigned and signature.service == "s3":
        payload_hash = declared or sigv4.UNSIGNED_PAYLOAD  # S3 presigned URLs never sign the payload
    else:
        payload_hash = declared or body.sha256 or sigv4.EMPTY_SHA256
    query = sigv4.raw_query_pairs(request.query_string)
    sigv4.verify(credential.secret_access_key, request.method, request.raw_path, query, request.headers,
                 signature, payload_hash)
    if declared and _hex_sha256(request.headers) and body.sha256 != declared:
        raise ContentSha256Mismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")


def _chunk_verifier(credential: Credential, signature: sigv4.Signature):
    state = {"previous": signature.signature}

    def verify(chunk_signature: str, chunk_hash: str) -> None:
        expected = sigv4.chunk_signature(credential.secret_access_key, signature, state["previous"], chunk_hash)
        if not hmac.compare_digest(expected, chunk_signature):
            raise AuthError("bad_signature", "The chunk signature does not match.")
        state["previous"] = chunk_signature

    return verify


def _head_kwargs(service: ServiceInfo, request: HttpRequest) -> dict:
    return {"head": True} if service.name == "s3" and request.method == "HEAD" else {}


def _endpoint_url(scope, headers: dict[str, str]) -> str:
    host = headers.get("host") or "{}:{}".format(*scope.get("server", ("127.0.0.1", 80)))
    return f"{scope.get('scheme', 'http')}://{host}"


async def _send(send, response: HttpResponse, head: bool = False) -> None:
    body = response.body
    headers = dict(response.headers)
    if isinstance(body, bytes | bytearray):
        headers.setdefault("content-length", str(len(body)))
    raw_headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
    if head:
        await send({"type": "http.response.body", "body": b""})
        return
    if isinstance(body, bytes | bytearray):
        await send({"type": "http.response.body", "body": bytes(body)})
        return
    if isinstance(body, AsyncIterator):
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    else:
        await _send_sync_iterator(send, body)
    await send({"type": "http.response.body", "body": b""})


async def _send_sync_iterator(send, body: Iterator[bytes]) -> None:
    """Streams a blocking iterator (file chunks): the next chunk is read in a worker thread while
    the current one is being sent, so disk reads and socket writes overlap."""
    done = object()
    loop = asyncio.get_running_loop()
    pending = loop.run_in_executor(None, next, body, done)
    try:
        while True:
            chunk = await pending
            if chunk is done:
                break
            pending = loop.run_in_executor(None, next, body, done)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        if not pending.done():
            await asyncio.wait([pending])  # never close the iterator under a running read
        close = getattr(body, "close", None)
        if close:
            close()


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

