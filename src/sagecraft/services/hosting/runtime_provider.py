"""sagemaker-runtime InvokeEndpoint: weighted choice of a variant, round robin over its workers,
keep-alive HTTP to the chosen worker. Runs on the event loop (no thread hop on the hot path)."""

from __future__ import annotations

import itertools
import random
from typing import Any

from sagecraft.core.arns import arn
from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ClientError
from sagecraft.services.hosting.forward import WorkerClient, WorkerUnavailable
from sagecraft.services.hosting.models import Kind
from sagecraft.services.hosting.reconciler import HostingReconciler, Route, log_group
from sagecraft.services.hosting.service import HostingService

FORWARDED = (("ContentType", "content-type"), ("Accept", "accept"),
             ("CustomAttributes", "x-amzn-sagemaker-custom-attributes"),
             ("InferenceId", "x-amzn-sagemaker-inference-id"))


class ValidationError(ClientError):
    code = "ValidationError"


class ModelError(ClientError):
    code = "ModelError"
    status = 424


class ServiceUnavailable(ClientError):
    code = "ServiceUnavailable"
    status = 503
    sender_fault = False


class RuntimeProvider:
    service_name = "sagemaker-runtime"
    threaded_operations = frozenset()

    def __init__(self, service: HostingService, reconciler: HostingReconciler) -> None:
        self.service = service
        self.reconciler = reconciler
        self.client = WorkerClient()
        self._turns = itertools.count()

    async def invoke_endpoint(self, context: RequestContext, params: dict) -> dict:
        name = params["EndpointName"]
        body = params.get("Body")  # over 6 MB it never gets here: the model's length constraint on Body
        route = self.reconciler.routes.get((context.account_id, context.region, name.lower()))
        if route is None:
            raise self._not_serving(context, name)
        variant, port, stream = self._pick(route, params.get("TargetVariant"))
        headers = {wire: params[key] for key, wire in FORWARDED if params.get(key)}
        payload = body.read() if body is not None else b""
        try:
            status, reply_headers, reply = await self.client.invoke(port, payload, headers)
        except WorkerUnavailable as error:
            raise ServiceUnavailable(f"The model server of variant {variant} is not reachable ({error}): it is "
                                     "being restarted, try again.") from None
        if status >= 400:
            raise self._model_error(context, route, variant, stream, status, reply)
        out: dict[str, Any] = {"Body": reply, "ContentType": reply_headers.get("content-type", "application/json"),
                               "InvokedProductionVariant": variant}
        custom = reply_headers.get("x-amzn-sagemaker-custom-attributes")
        if custom:
            out["CustomAttributes"] = custom
        return out

    def _pick(self, route: Route, target: str | None) -> tuple[str, int, str]:
        variants = route.variants
        if target:
            variants = tuple(v for v in variants if v[0] == target)
            if not variants:
                raise ValidationError(f"Invalid target variant {target!r}: endpoint {route.name} has the variants "
                                      f"{', '.join(v[0] for v in route.variants)}.")
        if len(variants) == 1:
            chosen = variants[0]
        else:
            weights = [v[1] for v in variants]
            chosen = random.choices(variants, weights=weights if sum(weights) > 0 else None)[0]
        index = next(self._turns) % len(chosen[2])
        return chosen[0], chosen[2][index], chosen[3][index]

    def _not_serving(self, context: RequestContext, name: str) -> ValidationError:
        endpoint = self.service.find(context.account_id, context.region, Kind.ENDPOINT, name)
        if endpoint is None:
            return ValidationError(f"Endpoint {name} of account {context.account_id} not found.")
        return ValidationError(f"Endpoint {name} of account {context.account_id} is not in service: its status is "
                               f"{endpoint.status}.")

    @staticmethod
    def _model_error(context: RequestContext, route: Route, variant: str, stream: str, status: int,
                     reply: bytes) -> ModelError:
        message = reply.decode("utf-8", errors="replace")
        side = "client" if status < 500 else "server"
        group = log_group(route.name)
        group_arn = arn("logs", context.region, context.account_id, f"log-group:{group}")
        return ModelError(
            f"Received {side} error ({status}) from primary with message \"{message}\". See "
            f"https://{context.region}.console.aws.amazon.com/cloudwatch/home?region={context.region}"
            f"#logEventViewer:group={group} in account {context.account_id} for more information.",
            fields={"OriginalStatusCode": status, "OriginalMessage": message, "LogStreamArn": group_arn})
