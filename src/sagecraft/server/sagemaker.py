"""The ``sagemaker`` control plane is served by several capabilities: the gateway dispatches by
operation name to one object, so this composite hands each operation to the provider that has it."""

from __future__ import annotations

from typing import Any

_TAG_OPERATIONS = ("add_tags", "list_tags", "delete_tags")


class SageMakerProviders:
    service_name = "sagemaker"

    def __init__(self, *providers: object) -> None:
        self._providers = providers

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _TAG_OPERATIONS:
            return getattr(_TagRouter(self._providers), name)
        for provider in self._providers:
            handler = getattr(provider, name, None)
            if handler is not None:
                return handler  # a bound method: the gateway reads threaded_operations from its provider
        raise AttributeError(name)


class _TagRouter:
    """AddTags / ListTags / DeleteTags go to the provider that declares the ARN's resource type in
    ``tagged_resource_types`` (e.g. ``hyper-parameter-tuning-job``), else to the first that has them."""

    threaded_operations = frozenset({"AddTags", "ListTags", "DeleteTags"})

    def __init__(self, providers: tuple[object, ...]) -> None:
        self._providers = providers

    def _owner(self, arn: str, operation: str) -> Any:
        resource_type = arn.split(":", 5)[-1].split("/", 1)[0]
        owners = [p for p in self._providers if resource_type in getattr(p, "tagged_resource_types", ())]
        owners += [p for p in self._providers if getattr(p, operation, None) is not None]
        return getattr(owners[0], operation)

    def add_tags(self, context: Any, params: dict) -> dict:
        return self._owner(params["ResourceArn"], "add_tags")(context, params)

    def list_tags(self, context: Any, params: dict) -> dict:
        return self._owner(params["ResourceArn"], "list_tags")(context, params)

    def delete_tags(self, context: Any, params: dict) -> dict:
        return self._owner(params["ResourceArn"], "delete_tags")(context, params)
