"""sagemaker-runtime InvokeEndpoint: weighted choice of a variant, round robin over its instances
(skipping one with too many requests in flight), a framed request over a pooled Unix-socket connection
to the chosen worker (forward.py), each container of a serial pipeline in turn. Runs on the event loop
(no thread hop on the hot path); data capture and metrics are handed to their threads."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagecraft.core.arns import arn
from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ClientError
from sagecraft.services.hosting.async_inference import (
    DEFAULT_CONCURRENCY_PER_INSTANCE,
    AsyncQueue,
    AsyncRequest,
    new_request,
)
from sagecraft.services.hosting.capture import Capture, CaptureWriter
from sagecraft.services.hosting.fleet import DeployError, ModelNotFound
from sagecraft.services.hosting.forward import WorkerClient, WorkerUnavailable
from sagecraft.services.hosting.metrics import InvocationMetrics
from sagecraft.services.hosting.models import Kind
from sagecraft.services.hosting.reconciler import HostingReconciler, log_group
from sagecraft.services.hosting.routes import InstanceRoute, Route, VariantRoute
from sagecraft.services.hosting.service import HostingService

log = logging.getLogger(__name__)

FORWARDED = (("CustomAttributes", "x-amzn-sagemaker-custom-attributes"),
             ("InferenceId", "x-amzn-sagemaker-inference-id"))
# Requests one instance may have in flight before more are shed (answered 503, not queued forever).
MAX_IN_FLIGHT = int(os.environ.get("SAGECRAFT_MAX_IN_FLIGHT_PER_INSTANCE", "128"))
MAX_ASYNC_INLINE_BODY = 128_000  # InvokeEndpointAsync's inline Body limit
MODEL_DIR_HEADER = "x-sagecraft-model-dir"  # multi-model: the folder of the target model
SAFE_TARGET = re.compile(r"[^A-Za-z0-9._-]")


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data


class ValidationError(ClientError):
    code = "ValidationError"


class ModelError(ClientError):
    code = "ModelError"
    status = 424


class ServiceUnavailable(ClientError):
    code = "ServiceUnavailable"
    status = 503
    sender_fault = False


class ThrottlingException(ClientError):
    code = "ThrottlingException"
    status = 429


class RuntimeProvider:
    service_name = "sagemaker-runtime"
    threaded_operations = frozenset()

    def __init__(self, service: HostingService, reconciler: HostingReconciler, capture: CaptureWriter | None = None,
                 metrics: InvocationMetrics | None = None, async_queue: AsyncQueue | None = None,
                 on_queued: Callable[[], None] | None = None) -> None:
        self.service = service
        self.async_queue = async_queue
        self.on_queued = on_queued
        self.reconciler = reconciler
        self.capture = capture
        self.metrics = metrics or InvocationMetrics(None)
        self.client = WorkerClient()
        self._turns = itertools.count()
        self._in_flight: dict[int, int] = {}  # by the port of an instance's first container
        self._shadow_tasks: set[asyncio.Task] = set()  # requests mirrored to shadow variants, in flight

    async def invoke_endpoint(self, context: RequestContext, params: dict) -> dict:
        return await self.invoke_queued(context, params, queued=False)

    async def invoke_queued(self, context: RequestContext, params: dict, queued: bool = True) -> dict:
        """InvokeEndpoint; ``queued``: a request of the async queue (an async endpoint takes only those)."""
        began = time.perf_counter()
        name = params["EndpointName"]
        body = params.get("Body")  # over 6 MB it never gets here: the model's length constraint on Body
        route = self.reconciler.routes.get((context.account_id, context.region, name.lower()))
        if route is None:
            raise self._not_serving(context, name)
        if route.async_inference and not queued:
            raise ValidationError(f"Endpoint {name} of account {context.account_id} is an asynchronous inference "
                                  "endpoint: invoke it with InvokeEndpointAsync.")
        variant = self._pick_variant(route, params.get("TargetVariant"))
        key = (route.endpoint_id, variant.name)
        counts = self.reconciler.in_flight
        if variant.serverless and counts.get(key, 0) >= int(variant.serverless.get("MaxConcurrency", 1)):
            raise ThrottlingException("Rate exceeded: the serverless endpoint is at its MaxConcurrency "
                                      f"({variant.serverless.get('MaxConcurrency')}).")
        counts[key] = counts.get(key, 0) + 1
        self.reconciler.last_used[key] = time.monotonic()
        try:
            if variant.serverless and not variant.instances:
                variant = await self._cold_start(context, route, variant)
            return await self._invoke(context, route, variant, params, body.read() if body is not None else b"",
                                      began)
        finally:
            counts[key] -= 1
            self.reconciler.last_used[key] = time.monotonic()

    async def invoke_endpoint_async(self, context: RequestContext, params: dict) -> dict:
        """Queued durably, answered at once (202) with where the result or the failure will be."""
        name = params["EndpointName"]
        route = self.reconciler.routes.get((context.account_id, context.region, name.lower()))
        if route is not None:
            name, config = route.name, route.async_inference
        else:  # e.g. just after a restart, before its workers serve again: the queue keeps the request
            endpoint = await asyncio.to_thread(self.service.find, context.account_id, context.region,
                                               Kind.ENDPOINT, name)
            if endpoint is None or endpoint.status not in ("InService", "Updating"):
                raise self._not_serving(context, name)
            name, config = endpoint.name, endpoint.runtime.get("async_inference")
        if not config or self.async_queue is None:
            raise ValidationError(f"Endpoint {name} of account {context.account_id} is not an asynchronous "
                                  "inference endpoint: its endpoint configuration has no AsyncInferenceConfig.")
        location, body = params.get("InputLocation"), params.get("Body")
        data = body.read() if body is not None else b""  # the payload member: empty when not sent
        if (location is None) == (not data):
            raise ValidationError("Provide exactly one of InputLocation and Body.")
        if location is not None and not location.startswith("s3://"):
            raise ValidationError(f"InputLocation {location} must be an s3:// URI.")
        params = {k: v for k, v in params.items() if k != "Body"}
        if data:
            if len(data) > MAX_ASYNC_INLINE_BODY:
                raise ValidationError(f"The inline Body has {len(data)} bytes: at most {MAX_ASYNC_INLINE_BODY} "
                                      "are allowed; upload it to S3 and pass InputLocation.")
            params = {**params, "Body": _Bytes(data)}
        request = new_request(context.account_id, context.region, name, config, params)
        await asyncio.to_thread(self.async_queue.put, request)
        if self.on_queued is not None:
            self.on_queued()
        out = {"InferenceId": request.inference_id, "OutputLocation": request.output_location}
        if (config.get("OutputConfig") or {}).get("S3FailurePath"):
            out["FailureLocation"] = request.failure_location
        return out

    def async_capacity(self, request: AsyncRequest) -> int | None:
        """How many of an endpoint's queued requests may run at once; 0 while it does not serve, None once
        it is gone."""
        route = self.reconciler.routes.get((request.account_id, request.region, request.endpoint.lower()))
        if route is None:
            found = self.service.find(request.account_id, request.region, Kind.ENDPOINT, request.endpoint)
            return None if found is None or found.status == "Failed" else 0
        per_instance = (route.async_inference or {}).get("ClientConfig", {}).get(
            "MaxConcurrentInvocationsPerInstance") or DEFAULT_CONCURRENCY_PER_INSTANCE
        return int(per_instance) * sum(len(v.instances) for v in route.variants)

    def async_backlog(self, counts: dict[tuple[str, str, str], int]) -> None:
        """ApproximateBacklogSize(PerInstance) of every asynchronous endpoint (0 included: scaling reads it)."""
        for key, route in list(self.reconciler.routes.items()):
            if route.async_inference:
                backlog = float(counts.get(key, 0))
                instances = max(1, sum(len(v.instances) for v in route.variants))
                self.metrics.gauge(route.account_id, route.region, route.name, "ApproximateBacklogSize", backlog)
                self.metrics.gauge(route.account_id, route.region, route.name, "ApproximateBacklogSizePerInstance",
                                   backlog / instances)

    def _mirror(self, context: RequestContext, route: Route, params: dict, payload: bytes) -> None:
        """Shadow variants get a copy of the request off the request path; their answers reach only data
        capture and metrics."""
        for shadow in route.shadows:
            task = asyncio.get_running_loop().create_task(self._shadow(context, route, shadow, params, payload))
            self._shadow_tasks.add(task)
            task.add_done_callback(self._shadow_tasks.discard)

    async def _shadow(self, context: RequestContext, route: Route, shadow: VariantRoute, params: dict,
                      payload: bytes) -> None:
        try:
            await self._invoke(context, route, shadow, params, payload, time.perf_counter(), mirror=False)
        except Exception as error:  # a shadow's failure is its own: logged and counted, never the client's
            log.info("shadow variant %s of endpoint %s failed: %s", shadow.name, route.name, error)

    async def _invoke(self, context: RequestContext, route: Route, variant: VariantRoute, params: dict,
                      payload: bytes, began: float, mirror: bool = True) -> dict:
        instance = self._pick_instance(variant)
        port = instance.ports[0]
        self._in_flight[port] = self._in_flight.get(port, 0) + 1
        status = 500
        timing = [0.0]  # seconds spent in the containers, failed calls included
        try:
            headers = {wire: params[key] for key, wire in FORWARDED if params.get(key)}
            if params.get("TargetModel"):
                headers[MODEL_DIR_HEADER] = await self._target_model(variant, instance, params["TargetModel"])
            elif variant.model_prefix:
                raise ValidationError("A multi-model endpoint needs a TargetModel (X-Amzn-SageMaker-Target-Model).")
            status, content_type, reply, custom = await self._chain(
                context, route, variant, instance, payload, params.get("ContentType"), params.get("Accept"),
                params.get("TargetContainerHostname"), headers, timing)
        except ClientError as error:
            status = error.status if not isinstance(error, ModelError) else int(error.fields["OriginalStatusCode"])
            raise
        finally:
            self._in_flight[port] -= 1
            total_us, model_us = (time.perf_counter() - began) * 1e6, timing[0] * 1e6
            self.metrics.invocation(route.account_id, route.region, route.name, variant.name, len(variant.instances),
                                    status, model_us or None, max(0.0, total_us - model_us))
        if route.capture is not None and self.capture is not None and route.capture.sampled():
            self.capture.submit(Capture(route.capture, route.name, variant.name, time.time(), params.get("InferenceId"),
                                        params.get("ContentType"), payload, content_type, reply))
        if mirror and route.shadows:
            self._mirror(context, route, params, payload)
        out: dict[str, Any] = {"Body": reply, "ContentType": content_type, "InvokedProductionVariant": variant.name}
        if custom:
            out["CustomAttributes"] = custom
        return out

    async def _chain(self, context: RequestContext, route: Route, variant: VariantRoute, instance: InstanceRoute,
                     payload: bytes, content_type: str | None, accept: str | None, hostname: str | None,
                     headers: dict[str, str], timing: list[float]) -> tuple[int, str, bytes, str | None]:
        """Serial: each container's output is the next one's input; Direct: the container named."""
        steps = list(range(len(instance.ports)))
        if hostname:
            if not route.direct:
                raise ValidationError("TargetContainerHostname is only for endpoints whose model has "
                                      "InferenceExecutionConfig Mode Direct.")
            if hostname not in instance.hostnames:
                raise ValidationError(f"The container {hostname} is not part of the endpoint {route.name}: its "
                                      f"containers are {', '.join(instance.hostnames)}.")
            steps = [instance.hostnames.index(hostname)]
        elif route.direct:
            raise ValidationError("An endpoint in Direct mode needs a TargetContainerHostname.")
        reply_type = content_type or ""
        reply_headers: dict[str, str] = {}
        for position, step in enumerate(steps):
            last = position == len(steps) - 1
            wanted = accept if last else variant.accepts[step]
            call = {**headers, **({"content-type": content_type} if content_type else {}),
                    **({"accept": wanted} if wanted else {})}
            started = time.perf_counter()
            try:
                status, reply_headers, payload = await self.client.invoke(instance.sockets[step], payload, call)
            except WorkerUnavailable as error:
                raise ServiceUnavailable(f"The model server of variant {variant.name} is not reachable ({error}): it "
                                         "is being restarted, try again.") from None
            except TimeoutError:
                raise ModelError(f"Your invocation timed out while waiting for a response from container "
                                 f"{instance.hostnames[step]}. Review the latency metrics for each container in "
                                 "Amazon CloudWatch, resolve the issue, and try again.",
                                 fields={"OriginalStatusCode": 504, "OriginalMessage": "timed out",
                                         "LogStreamArn": self._group_arn(context, route)}) from None
            timing[0] += time.perf_counter() - started
            if status >= 400:
                raise self._model_error(context, route, status, payload, "primary" if len(steps) == 1
                                        else instance.hostnames[step])
            content_type = reply_type = reply_headers.get("content-type", "application/json")
        return 200, reply_type, payload, reply_headers.get("x-amzn-sagemaker-custom-attributes")

    async def _cold_start(self, context: RequestContext, route: Route, variant: VariantRoute) -> VariantRoute:
        try:
            setup = await asyncio.to_thread(self.reconciler.cold_start, route.endpoint_id, variant.name)
        except DeployError as error:
            raise ModelError(f"The serverless endpoint could not start: {error}",
                             fields={"OriginalStatusCode": 500, "OriginalMessage": str(error),
                                     "LogStreamArn": self._group_arn(context, route)}) from None
        if setup is not None:
            self.metrics.latency(route.account_id, route.region, route.name, variant.name, "ModelSetupTime",
                                 setup * 1e6)
        fresh = self.reconciler.routes.get((route.account_id, route.region, route.name.lower()))
        found = fresh.variant(variant.name) if fresh else None
        if found is None or not found.instances:
            raise ServiceUnavailable("The serverless endpoint is scaling: try again.")
        return found

    async def _target_model(self, variant: VariantRoute, instance: InstanceRoute, target: str) -> str:
        """The folder of a multi-model endpoint's target, downloaded on first use on this instance."""
        if not variant.model_prefix:
            raise ValidationError("TargetModel is only for multi-model endpoints (Mode MultiModel).")
        folder = Path(instance.folder) / "models" / SAFE_TARGET.sub("_", target)
        if not folder.is_dir():
            uri = f"{variant.model_prefix.rstrip('/')}/{target.lstrip('/')}"
            try:
                await asyncio.to_thread(self.reconciler.builder.fetch_model, uri, folder)
            except ModelNotFound:
                bucket, _, key = uri[len("s3://"):].partition("/")
                raise ValidationError(f"Failed to download model data(bucket: {bucket}, key: {key}). Please ensure "
                                      "that there is an object located at the URL and that the role passed to "
                                      "CreateModel has permissions to download the model.") from None
            except DeployError as error:
                raise ValidationError(str(error)) from None
        return str(folder)

    def _pick_variant(self, route: Route, target: str | None) -> VariantRoute:
        variants = route.variants
        if target:
            chosen = route.variant(target)
            if chosen is None:
                raise ValidationError(f"Invalid target variant {target!r}: endpoint {route.name} has the variants "
                                      f"{', '.join(v.name for v in route.variants)}.")
            return chosen
        variants = tuple(v for v in variants if v.instances or v.serverless) or variants
        if len(variants) == 1:
            return variants[0]
        weights = [v.weight for v in variants]
        return random.choices(variants, weights=weights if sum(weights) > 0 else None)[0]

    def _pick_instance(self, variant: VariantRoute) -> InstanceRoute:
        instances = variant.instances
        if not instances:
            raise ServiceUnavailable(f"Variant {variant.name} has no instances in service.")
        turn = next(self._turns)
        for offset in range(len(instances)):
            instance = instances[(turn + offset) % len(instances)]
            if self._in_flight.get(instance.ports[0], 0) < MAX_IN_FLIGHT:
                return instance
        raise ServiceUnavailable(f"The model servers of variant {variant.name} are overloaded ({MAX_IN_FLIGHT} "
                                 "requests in flight per instance): try again.")

    def _not_serving(self, context: RequestContext, name: str) -> ValidationError:
        endpoint = self.service.find(context.account_id, context.region, Kind.ENDPOINT, name)
        if endpoint is None:
            return ValidationError(f"Endpoint {name} of account {context.account_id} not found.")
        return ValidationError(f"Endpoint {name} of account {context.account_id} is not in service: its status is "
                               f"{endpoint.status}.")

    @staticmethod
    def _group_arn(context: RequestContext, route: Route) -> str:
        return arn("logs", context.region, context.account_id, f"log-group:{log_group(route.name)}")

    def _model_error(self, context: RequestContext, route: Route, status: int, reply: bytes,
                     container: str) -> ModelError:
        message = reply.decode("utf-8", errors="replace")
        side = "client" if status < 500 else "server"
        group = log_group(route.name)
        return ModelError(
            f"Received {side} error ({status}) from {container} with message \"{message}\". See "
            f"https://{context.region}.console.aws.amazon.com/cloudwatch/home?region={context.region}"
            f"#logEventViewer:group={group} in account {context.account_id} for more information.",
            fields={"OriginalStatusCode": status, "OriginalMessage": message,
                    "LogStreamArn": self._group_arn(context, route)})

    def close(self) -> None:
        self.client.close()
