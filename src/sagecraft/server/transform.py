"""Wiring of the batch transform capability: its service (models looked up through the hosting
service), an executor of its own for the transform workers, and the reconciler thread."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Mapping
from typing import Any

from sagecraft.config.settings import Settings
from sagecraft.executors import LocalExecutor, LocalExecutorConfig, RuntimeRegistry
from sagecraft.services.hosting.models import Kind
from sagecraft.services.hosting.service import HostingService
from sagecraft.services.logs.service import LogsService
from sagecraft.services.transform.provider import TransformProvider
from sagecraft.services.transform.reconciler import TransformReconciler
from sagecraft.services.transform.runner import TransformPlatform
from sagecraft.services.transform.service import TransformService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore


def transform_provider(
    settings: Settings,
    metadata: MetadataStore,
    objects: ObjectStore,
    logs: LogsService,
    hosting: HostingService,
    closers: list,
) -> TransformProvider:
    """Transform jobs whose workers are detached workloads (they outlive a server restart)."""
    runtimes = lambda: RuntimeRegistry.load(settings.home)  # noqa: E731
    config = LocalExecutorConfig.from_env(settings.home)
    # Its own run folders and slots: transform workers neither wait behind training jobs nor hold them up.
    executor = LocalExecutor(dataclasses.replace(config, root=settings.home / "transform-executor"))
    owner = f"local:{socket.gethostname()}:{settings.home}"

    def model(account_id: str, region: str, name: str) -> Mapping[str, Any]:
        found = hosting.get(account_id, region, Kind.MODEL, name)  # ValidationException "Could not find model"
        # The containers as CreateModel resolved them: a model package's image and model data, not its name.
        containers = found.runtime.get("containers") or HostingService.containers(found.request)
        request = {k: v for k, v in found.request.items() if k != "PrimaryContainer"}
        return {**request, "Containers": containers, "ModelArn": found.arn}

    service = TransformService(metadata, model, runtimes, lambda bucket: objects.get_bucket(bucket) is not None, owner)
    platform = TransformPlatform(
        store=metadata,
        objects=objects,
        executor=executor,
        runtimes=runtimes,
        logs=logs,
        root=settings.home / "transform",
        owner=owner,
    )
    reconciler = TransformReconciler(platform)
    service.listeners.append(reconciler.wake)
    reconciler.start()
    closers.append(reconciler.stop)
    return TransformProvider(service)
