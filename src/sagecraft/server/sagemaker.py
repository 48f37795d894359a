"""The ``sagemaker`` control plane is served by several capabilities: the gateway dispatches by
operation name to one object, so this composite hands each operation to the provider that has it."""

from __future__ import annotations

from typing import Any


class SageMakerProviders:
    service_name = "sagemaker"

    def __init__(self, *providers: object) -> None:
        self._providers = providers

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        for provider in self._providers:
            handler = getattr(provider, name, None)
            if handler is not None:
                return handler  # a bound method: the gateway reads threaded_operations from its provider
        raise AttributeError(name)
