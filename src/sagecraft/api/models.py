"""botocore's service models: the only wire schema. Loaded once per process, lazily."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import botocore.session
from botocore.model import OperationModel, ServiceModel


@functools.cache
def _loader_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(name: str) -> ServiceModel:
    """The botocore ServiceModel of a service by its boto name (``s3``, ``sagemaker``, ...)."""
    return _loader_session().get_service_model(name)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


@dataclass(frozen=True)
class ServiceInfo:
    """What the gateway needs to know about a service to route and speak to it."""

    name: str
    protocol: str
    signing_name: str
    target_prefix: str | None
    json_version: str | None
    api_version: str
    xml_namespace: str | None
    # What the service calls a request that breaks the model's constraints: the runtimes declare
    # ValidationError, most JSON services ValidationException.
    validation_code: str = "ValidationException"

    @property
    def model(self) -> ServiceModel:
        return service_model(self.name)


def _protocol(model: ServiceModel) -> str:
    # Newer models list several protocols; botocore picks json > rest-json > rest-xml > query.
    supported = model.metadata.get("protocols") or [model.metadata["protocol"]]
    for candidate in ("json", "rest-json", "rest-xml", "query", "ec2"):
        if candidate in supported:
            return candidate
    return model.metadata["protocol"]


def _validation_code(model: ServiceModel) -> str:
    names = set(model.shape_names)
    if "ValidationError" in names and "ValidationException" not in names:
        return "ValidationError"
    return "ValidationException"


@functools.cache
def service_info(name: str) -> ServiceInfo:
    model = service_model(name)
    meta = model.metadata
    xml_ns = meta.get("xmlNamespace")
    return ServiceInfo(
        name=name,
        protocol=_protocol(model),
        signing_name=meta.get("signingName") or meta["endpointPrefix"],
        target_prefix=meta.get("targetPrefix"),
        json_version=meta.get("jsonVersion"),
        api_version=meta["apiVersion"],
        xml_namespace=xml_ns if isinstance(xml_ns, str) else None,
        validation_code=_validation_code(model),
    )


@functools.cache
def service_info_as(name: str, protocol: str) -> ServiceInfo:
    """The service as seen by a client speaking another protocol its model lists (CloudWatch: older
    botocore speaks query where 1.44 speaks json)."""
    info = service_info(name)
    if protocol != info.protocol and protocol not in (info.model.metadata.get("protocols") or ()):
        raise ValueError(f"{name} does not speak {protocol}")
    return replace(info, protocol=protocol)
