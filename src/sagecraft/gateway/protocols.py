"""One protocol instance per service, built from its botocore model (and, for S3, the XML root
element names its provider declares)."""

from __future__ import annotations

from sagecraft.api.models import ServiceInfo
from sagecraft.api.protocols.json_rpc import JsonProtocol
from sagecraft.api.protocols.query import InvalidAction, QueryProtocol
from sagecraft.api.protocols.rest_json import RestJsonProtocol
from sagecraft.api.protocols.rest_xml import RestXmlProtocol
from sagecraft.core.errors import AwsError, UnknownOperation


class ProtocolSet:
    def __init__(self, providers: dict[str, object]) -> None:
        self._providers = providers
        self._cache: dict[tuple[str, str], object] = {}

    def get(self, service: ServiceInfo):
        key = (service.name, service.protocol)  # CloudWatch is served in json and in query
        protocol = self._cache.get(key)
        if protocol is None:
            protocol = self._cache[key] = self._build(service)
        return protocol

    def _build(self, service: ServiceInfo):
        if service.protocol == "json":
            return JsonProtocol(service)
        if service.protocol == "rest-json":
            return RestJsonProtocol(service)
        if service.protocol == "query":
            return QueryProtocol(service)
        if service.protocol == "rest-xml":
            provider = self._providers.get(service.name)
            return RestXmlProtocol(service, getattr(provider, "xml_root_tags", None),
                                   getattr(provider, "xml_namespace", None))
        raise ValueError(f"unsupported protocol {service.protocol} for {service.name}")

    @staticmethod
    def unsupported(service: ServiceInfo, operation: str) -> AwsError:
        """The error for an operation botocore models but Sagecraft does not serve (yet)."""
        message = f"Sagecraft does not serve {service.name} {operation} yet."
        if service.protocol == "rest-xml":
            return AwsError(message, code="NotImplemented", status=501)
        if service.protocol == "query":
            return InvalidAction(message)
        return UnknownOperation(message)
