"""Wiring of the pipelines capability: its service, the engine thread, and the two ports the engine
uses — the ``sagemaker`` control plane called as a client would (the composite of every capability's
provider, validated against botocore's shapes) and reads from the object store."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import Callable
from typing import Any

from botocore import xform_name
from botocore.model import Shape

from sagecraft.api.models import service_model
from sagecraft.api.validation import validate
from sagecraft.config.settings import Settings
from sagecraft.core.context import Principal, RequestContext
from sagecraft.core.errors import AwsError, UnknownOperation, ValidationException
from sagecraft.services.pipelines.engine import PipelineEngine
from sagecraft.services.pipelines.provider import PipelinesProvider
from sagecraft.services.pipelines.service import PipelinesService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore, StoreError

COMPOSITE_WAIT_SECONDS = 30.0


class ControlPlaneApi:
    """``SageMakerApi`` over the composite provider: each call is validated as the gateway would and
    runs as the account's root principal. Coroutine handlers are run to completion."""

    def __init__(self, composite: Callable[[], object], endpoint_url: str) -> None:
        self._composite = composite
        self._endpoint_url = endpoint_url

    def call(self, account_id: str, region: str, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        operation = service_model("sagemaker").operation_model(operation_name)
        request = conform(operation.input_shape, params) if operation.input_shape is not None else {}
        try:
            validate(operation.input_shape, request)
        except ValidationException as error:
            raise ValidationException(f"{operation_name}: {error.message}") from None
        except (TypeError, AttributeError):  # a value of the wrong kind (an object where text belongs)
            raise ValidationException(f"{operation_name}: the request does not match its shape.") from None
        handler = getattr(self._providers(), xform_name(operation_name), None)
        if handler is None:
            raise UnknownOperation(f"Sagecraft does not serve sagemaker {operation_name} yet.")
        principal = Principal(
            access_key_id="", arn=f"arn:aws:iam::{account_id}:root", user_id=account_id, account_id=account_id
        )
        context = RequestContext(
            principal=principal, region=region, account_id=account_id, endpoint_url=self._endpoint_url
        )
        output = handler(context, request)
        if inspect.isawaitable(output):
            output = asyncio.run(_awaited(output))
        return output

    def _providers(self) -> object:
        deadline = time.monotonic() + COMPOSITE_WAIT_SECONDS
        while True:  # the engine may resume executions before the composition root has finished
            try:
                return self._composite()
            except KeyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def conform(shape: Shape, value: Any) -> Any:
    """A step's resolved arguments as the wire parser would hand them over: numbers, text and
    booleans converted to what each member's shape says (parameters are typed, requests are not)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: conform(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [conform(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: conform(shape.value, v) for k, v in value.items()}
    try:
        if kind == "string" and isinstance(value, bool):
            return "true" if value else "false"
        if kind == "string" and isinstance(value, int | float):
            return str(value)
        if kind in ("integer", "long") and isinstance(value, str | float) and not isinstance(value, bool):
            return int(float(value)) if float(value).is_integer() else value
        if kind in ("float", "double") and isinstance(value, str | int) and not isinstance(value, bool):
            return float(value)
        if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    except ValueError:
        return value  # validation names the member
    return value


class ObjectStoreReader:
    """``ObjectReader`` over the object store (PropertyFiles, definitions uploaded to S3)."""

    def __init__(self, objects: ObjectStore) -> None:
        self._objects = objects

    def read(self, uri: str) -> bytes:
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ValidationException(f"'{uri}' is not an S3 object URI.")
        bucket, key = uri[5:].split("/", 1)
        try:
            _, chunks = self._objects.open_object(bucket, key)
            return b"".join(chunks)
        except StoreError:
            raise AwsError(f"The object {uri} does not exist.", code="NoSuchKey", status=404) from None


def pipelines_provider(
    settings: Settings, metadata: MetadataStore, objects: ObjectStore, composite: Callable[[], object], closers: list
) -> PipelinesProvider:
    """Pipelines whose steps call the ``sagemaker`` control plane ``composite()`` returns."""
    owner = f"local:{socket.gethostname()}:{settings.home}"
    service = PipelinesService(metadata, ObjectStoreReader(objects), owner)
    engine = PipelineEngine(service, ControlPlaneApi(composite, settings.endpoint_url))
    service.listeners.append(engine.wake)
    engine.start()
    closers.append(engine.stop)
    return PipelinesProvider(service)
