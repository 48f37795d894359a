"""Wiring of the hosting capability: the control-plane and runtime providers over one reconciler
(part of the composition root)."""

from __future__ import annotations

from sagecraft.config.settings import Settings
from sagecraft.executors import RuntimeRegistry
from sagecraft.services.hosting.fleet import FleetBuilder
from sagecraft.services.hosting.provider import HostingProvider
from sagecraft.services.hosting.reconciler import HostingReconciler
from sagecraft.services.hosting.runtime_provider import RuntimeProvider
from sagecraft.services.hosting.service import HostingService
from sagecraft.services.logs.service import LogsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore


def hosting_providers(settings: Settings, metadata: MetadataStore, objects: ObjectStore, logs: LogsService,
                      closers: list) -> tuple[HostingProvider, RuntimeProvider]:
    """Endpoints whose workers run as processes of this server; a restarted server starts them again."""
    runtimes = lambda: RuntimeRegistry.load(settings.home)  # noqa: E731
    service = HostingService(metadata, runtimes)
    reconciler = HostingReconciler(service, FleetBuilder(objects, runtimes, settings.home / "endpoints"), logs)
    service.listeners.append(reconciler.wake)
    reconciler.start()
    closers.append(reconciler.stop)
    return HostingProvider(service), RuntimeProvider(service, reconciler)
