"""Wiring of Model Monitor: its service over the jobs service (executions are processing jobs) and
the hosting capability (reached through the ``sagemaker`` composite: which endpoint captures where),
the scheduler thread, and Sagecraft's own control call ``POST /_sagecraft/monitoring/run``.

That route starts an execution now (``sagecraft monitor run SCHEDULE``): it is no AWS operation, so it
lives outside the botocore models, but it is SigV4-signed like one (service ``sagemaker``, any
region) and only the server's admin key may call it. Query: ``MonitoringScheduleName``. Answer: the
execution's MonitoringExecutionSummary as JSON (400 / 403 / 404 with ``{"__type", "message"}``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sagecraft.api.protocols.http import HttpResponse
from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError, ValidationException
from sagecraft.security import sigv4
from sagecraft.security.credentials import Credential
from sagecraft.services.jobs.service import JobsService
from sagecraft.services.monitoring.executions import CaptureTarget
from sagecraft.services.monitoring.provider import MonitoringProvider
from sagecraft.services.monitoring.scheduler import MonitoringScheduler
from sagecraft.services.monitoring.service import MonitoringService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore

RUN_ROUTE = "/_sagecraft/monitoring/run"
Route = Callable[[dict], Awaitable[HttpResponse]]


def _context(account_id: str, region: str) -> RequestContext:
    principal = Principal(access_key_id="sagecraft-monitoring", arn=f"arn:aws:iam::{account_id}:root",
                          user_id=account_id, account_id=account_id)
    return RequestContext(principal=principal, region=region, account_id=account_id)


def capture_lookup(sagemaker: Callable[[], Any]) -> Callable[[str, str, str], CaptureTarget]:
    """Where an endpoint captures, from DescribeEndpoint through the composite, as a client reads it."""

    def lookup(account_id: str, region: str, endpoint_name: str) -> CaptureTarget:
        try:
            endpoint = sagemaker().describe_endpoint(_context(account_id, region), {"EndpointName": endpoint_name})
        except AwsError:
            raise ValidationException(f"Could not find endpoint \"{endpoint_name}\".") from None
        capture = endpoint.get("DataCaptureConfig") or {}
        if not capture.get("EnableCapture") or not capture.get("DestinationS3Uri"):
            raise ValidationException(f"Endpoint {endpoint_name} does not capture data: create it with a "
                                      "DataCaptureConfig (EnableCapture) to monitor it.")
        variants = tuple(v["VariantName"] for v in endpoint.get("ProductionVariants") or [])
        return CaptureTarget(endpoint_name, capture["DestinationS3Uri"], variants)

    return lookup


def monitoring_provider(metadata: MetadataStore, jobs: JobsService, objects: ObjectStore,
                        sagemaker: Callable[[], Any], closers: list) -> MonitoringProvider:
    service = MonitoringService(metadata, jobs, objects, capture_lookup(sagemaker), jobs.owner)
    scheduler = MonitoringScheduler(service)
    service.listeners.append(scheduler.wake)
    scheduler.start()
    closers.append(scheduler.stop)
    return MonitoringProvider(service)


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"},
                        json.dumps({"__type": code, "message": message}).encode())


def run_route(provider: MonitoringProvider, admin: Credential) -> Route:
    async def handle(scope: dict) -> HttpResponse:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            headers[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
        query_string = scope.get("query_string", b"").decode("latin-1")
        query = sigv4.raw_query_pairs(query_string)
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        try:
            signature = sigv4.read_signature(headers, query)
            sigv4.check_time(signature)
            if signature.access_key_id != admin.access_key_id or signature.service != "sagemaker":
                return _error(403, "AccessDeniedException", "Only the server's admin key may run monitoring "
                                                            "executions on demand.")
            sigv4.verify(admin.secret_access_key, scope["method"], raw_path, query, headers, signature,
                         headers.get("x-amz-content-sha256") or hashlib.sha256(b"").hexdigest())
        except sigv4.AuthError as error:
            return _error(403, "InvalidSignatureException" if error.kind == "bad_signature" else "AccessDenied",
                          str(error))
        name = dict(query).get("MonitoringScheduleName")
        if scope["method"] != "POST" or not name:
            return _error(400, "ValidationException", f"POST {RUN_ROUTE}?MonitoringScheduleName=<name>")
        context = _context(admin.principal.account_id, signature.region)
        try:
            execution = await asyncio.to_thread(provider.run_monitoring_execution, context, name)
        except AwsError as error:
            return _error(error.status or 400, error.code, str(error))
        summary = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in execution.summary().items()}
        return HttpResponse(200, {"content-type": "application/json"}, json.dumps(summary).encode())

    return handle
