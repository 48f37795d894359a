"""Wiring of the model registry: its service, the approval actions (over the ``sagemaker``
composite, as a client would call it) and its ``Search`` resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagecraft.services.logs.service import LogsService
from sagecraft.services.registry.actions import ApprovalActions
from sagecraft.services.registry.provider import RegistryProvider
from sagecraft.services.registry.search import RegistrySearchers
from sagecraft.services.registry.service import RegistryService
from sagecraft.services.search.registry import SearchRegistry
from sagecraft.storage.metadata import MetadataStore


def registry_provider(metadata: MetadataStore, logs: LogsService, sagemaker: Callable[[], Any],
                      search: SearchRegistry) -> RegistryProvider:
    """``sagemaker`` returns the control-plane composite (built after this provider, which is part of it).
    The hosting capability resolves ``Containers[].ModelPackageName`` with
    ``provider.service.containers_for`` when it is given that hook."""
    service = RegistryService(metadata)
    service.approval_listeners.append(ApprovalActions(service, logs, sagemaker))
    searchers = RegistrySearchers(service)
    search.register("ModelPackageGroup", searchers.groups)
    search.register("ModelPackage", searchers.packages)
    return RegistryProvider(service)
