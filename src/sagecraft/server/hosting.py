"""Wiring of the hosting capability: the control-plane and runtime providers over one reconciler,
the data-capture writer and the invocation metrics (part of the composition root)."""

from __future__ import annotations

from sagecraft.config.settings import Settings
from sagecraft.executors import RuntimeRegistry
from sagecraft.services.hosting.async_inference import AsyncDispatcher, AsyncQueue
from sagecraft.services.hosting.capture import CaptureWriter
from sagecraft.services.hosting.fleet import FleetBuilder
from sagecraft.services.hosting.metrics import InvocationMetrics, MetricsSink
from sagecraft.services.hosting.provider import HostingProvider
from sagecraft.services.hosting.reconciler import HostingReconciler
from sagecraft.services.hosting.runtime_provider import RuntimeProvider
from sagecraft.services.hosting.service import HostingService, PackageResolver
from sagecraft.services.logs.service import LogsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore


def hosting_providers(settings: Settings, metadata: MetadataStore, objects: ObjectStore, logs: LogsService,
                      closers: list, metrics_sink: MetricsSink | None = None,
                      package_resolver: PackageResolver | None = None) -> tuple[HostingProvider, RuntimeProvider]:
    """Endpoints whose workers run as processes of this server; a restarted server starts them again.
    ``metrics_sink``: the CloudWatch service (invocation metrics); ``package_resolver``: the model
    registry's ``containers_for`` (CreateModel with Containers[].ModelPackageName)."""
    runtimes = lambda: RuntimeRegistry.load(settings.home)  # noqa: E731
    service = HostingService(metadata, runtimes, package_resolver)
    reconciler = HostingReconciler(service, FleetBuilder(objects, runtimes, settings.home / "endpoints"), logs)
    service.listeners.append(reconciler.wake)
    reconciler.start()
    closers.append(reconciler.stop)
    capture = CaptureWriter(objects)
    capture.start()
    metrics = InvocationMetrics(metrics_sink)
    metrics.start()
    closers.append(metrics.close)
    queue = AsyncQueue(settings.home / "async-inference")
    dispatcher_invoker = RuntimeProvider(service, reconciler, capture, metrics)  # its own loop and connections
    dispatcher = AsyncDispatcher(queue, objects, lambda: dispatcher_invoker.invoke_queued,
                                 dispatcher_invoker.async_capacity, dispatcher_invoker.async_backlog)
    runtime = RuntimeProvider(service, reconciler, capture, metrics, queue, dispatcher.wake)
    closers.append(capture.close)  # closers run in reverse: captures are written first
    closers.append(dispatcher.stop)  # ...after the queued requests in flight finished
    dispatcher.start()
    return HostingProvider(service), runtime
