"""Models, endpoint configs and endpoints on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.hosting.models import EndpointStatus, Kind, Resource
from sagecraft.services.hosting.service import HostingService

DEFAULT_MAX_RESULTS = 10


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def describe_model(model: Resource) -> dict[str, Any]:
    return _drop_none({**model.request, "ModelArn": model.arn, "CreationTime": model.created_at})


def describe_config(config: Resource) -> dict[str, Any]:
    return _drop_none({**config.request, "EndpointConfigArn": config.arn, "CreationTime": config.created_at})


def describe_endpoint(endpoint: Resource) -> dict[str, Any]:
    serving = endpoint.status in (EndpointStatus.IN_SERVICE.value, EndpointStatus.UPDATING.value)
    scaling = endpoint.runtime.get("scaling") or {}
    variants, shadows = [], []
    for v in endpoint.runtime.get("variants", []):
        count, weight = v["InitialInstanceCount"], v["InitialVariantWeight"]
        current = scaling.get(v["VariantName"]) or {"CurrentInstanceCount": count, "CurrentWeight": weight}
        images = [c["Image"] for c in v.get("Containers") or [{"Image": v["Image"]}]]
        variant: dict[str, Any] = {
            "VariantName": v["VariantName"],
            "DeployedImages": [{"SpecifiedImage": image, "ResolvedImage": image, "ResolutionTime": endpoint.created_at}
                               for image in images],
            "CurrentWeight": current["CurrentWeight"] if serving else 0.0, "DesiredWeight": weight,
        }
        if v.get("ServerlessConfig"):
            variant.update(CurrentServerlessConfig=v["ServerlessConfig"], DesiredServerlessConfig=v["ServerlessConfig"])
        else:
            variant.update(CurrentInstanceCount=current["CurrentInstanceCount"] if serving else 0,
                           DesiredInstanceCount=count)
        (shadows if v.get("Shadow") else variants).append(variant)
    capture = endpoint.runtime.get("data_capture")
    capturing = bool(capture) and bool(capture.get("EnableCapture", True)) and serving
    return _drop_none({
        "EndpointName": endpoint.name, "EndpointArn": endpoint.arn, "EndpointConfigName": endpoint.config_name,
        "ProductionVariants": variants, "ShadowProductionVariants": shadows or None,
        "EndpointStatus": endpoint.status, "FailureReason": endpoint.failure_reason,
        "CreationTime": endpoint.created_at, "LastModifiedTime": endpoint.last_modified,
        "DataCaptureConfig": _drop_none({
            "EnableCapture": bool(capture.get("EnableCapture", True)),
            "CaptureStatus": "Started" if capturing else "Stopped",
            "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage"),
            "DestinationS3Uri": capture["DestinationS3Uri"], "KmsKeyId": capture.get("KmsKeyId")}) if capture else None,
        "AsyncInferenceConfig": endpoint.runtime.get("async_inference"),
    })


def _page(items: list[dict[str, Any]], params: dict, key: str) -> dict[str, Any]:
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ValidationException("Invalid pagination token.") from None
    size = params.get("MaxResults") or DEFAULT_MAX_RESULTS
    more = start + size < len(items)
    return _drop_none({key: items[start:start + size], "NextToken": str(start + size) if more else None})


def _filtered(found: list[Resource], params: dict) -> list[Resource]:
    needle = (params.get("NameContains") or "").lower()
    found = [r for r in found if needle in r.name.lower()]
    for key, after in (("CreationTimeAfter", True), ("CreationTimeBefore", False)):
        bound = params.get(key)
        if bound is not None:
            found = [r for r in found if (r.created_at > bound if after else r.created_at < bound)]
    status = params.get("StatusEquals")
    if status:
        found = [r for r in found if r.status == status]
    sort = {"Name": lambda r: r.name, "Status": lambda r: r.status or ""}.get(params.get("SortBy") or "",
                                                                               lambda r: (r.created_at, r.id))
    return sorted(found, key=sort, reverse=(params.get("SortOrder") or "Descending") == "Descending")


class HostingProvider:
    service_name = "sagemaker"
    tagged_resource_types = frozenset({"model", "endpoint-config", "endpoint"})  # server/sagemaker.py routes tags
    threaded_operations = frozenset({
        "CreateModel", "DescribeModel", "ListModels", "DeleteModel",
        "CreateEndpointConfig", "DescribeEndpointConfig", "ListEndpointConfigs", "DeleteEndpointConfig",
        "CreateEndpoint", "DescribeEndpoint", "ListEndpoints", "DeleteEndpoint", "UpdateEndpoint",
        "UpdateEndpointWeightsAndCapacities", "AddTags", "ListTags", "DeleteTags",
    })

    def __init__(self, service: HostingService) -> None:
        self.service = service

    # -- models -----------------------------------------------------------------------------------

    def create_model(self, context: RequestContext, params: dict) -> dict:
        return {"ModelArn": self.service.create_model(context.account_id, context.region, params).arn}

    def describe_model(self, context: RequestContext, params: dict) -> dict:
        return describe_model(self._get(context, Kind.MODEL, params["ModelName"]))

    def list_models(self, context: RequestContext, params: dict) -> dict:
        found = _filtered(self.service.list(context.account_id, context.region, Kind.MODEL), params)
        return _page([{"ModelName": m.name, "ModelArn": m.arn, "CreationTime": m.created_at} for m in found],
                     params, "Models")

    def delete_model(self, context: RequestContext, params: dict) -> dict:
        self.service.delete(context.account_id, context.region, Kind.MODEL, params["ModelName"])
        return {}

    # -- endpoint configs -------------------------------------------------------------------------

    def create_endpoint_config(self, context: RequestContext, params: dict) -> dict:
        config = self.service.create_endpoint_config(context.account_id, context.region, params)
        return {"EndpointConfigArn": config.arn}

    def describe_endpoint_config(self, context: RequestContext, params: dict) -> dict:
        return describe_config(self._get(context, Kind.ENDPOINT_CONFIG, params["EndpointConfigName"]))

    def list_endpoint_configs(self, context: RequestContext, params: dict) -> dict:
        found = _filtered(self.service.list(context.account_id, context.region, Kind.ENDPOINT_CONFIG), params)
        return _page([{"EndpointConfigName": c.name, "EndpointConfigArn": c.arn, "CreationTime": c.created_at}
                      for c in found], params, "EndpointConfigs")

    def delete_endpoint_config(self, context: RequestContext, params: dict) -> dict:
        self.service.delete(context.account_id, context.region, Kind.ENDPOINT_CONFIG, params["EndpointConfigName"])
        return {}

    # -- endpoints --------------------------------------------------------------------------------

    def create_endpoint(self, context: RequestContext, params: dict) -> dict:
        return {"EndpointArn": self.service.create_endpoint(context.account_id, context.region, params).arn}

    def describe_endpoint(self, context: RequestContext, params: dict) -> dict:
        return describe_endpoint(self._get(context, Kind.ENDPOINT, params["EndpointName"]))

    def list_endpoints(self, context: RequestContext, params: dict) -> dict:
        found = _filtered(self.service.list(context.account_id, context.region, Kind.ENDPOINT), params)
        return _page([{"EndpointName": e.name, "EndpointArn": e.arn, "CreationTime": e.created_at,
                       "LastModifiedTime": e.last_modified, "EndpointStatus": e.status} for e in found],
                     params, "Endpoints")

    def delete_endpoint(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_endpoint(context.account_id, context.region, params["EndpointName"])
        return {}

    def update_endpoint(self, context: RequestContext, params: dict) -> dict:
        return {"EndpointArn": self.service.update_endpoint(context.account_id, context.region, params).arn}

    def update_endpoint_weights_and_capacities(self, context: RequestContext, params: dict) -> dict:
        endpoint = self.service.update_endpoint_weights_and_capacities(context.account_id, context.region, params)
        return {"EndpointArn": endpoint.arn}

    # -- tags -----------------------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.add_tags(params["ResourceArn"], params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        return _page(self.service.tags(params["ResourceArn"]), {"MaxResults": 50, **params}, "Tags")

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_tags(params["ResourceArn"], params["TagKeys"])
        return {}

    def _get(self, context: RequestContext, kind: Kind, name: str) -> Resource:
        return self.service.get(context.account_id, context.region, kind, name)
