"""Wiring of the jobs capability: the executor SAGECRAFT_EXECUTOR names, the runtime table, the
reconciler thread (part of the composition root)."""

from __future__ import annotations

import socket

from sagecraft.config.settings import Settings
from sagecraft.executors import LocalExecutor, LocalExecutorConfig, PythonEnvironments, RuntimeRegistry
from sagecraft.services.jobs.platform import MetricRecorder, Platform
from sagecraft.services.jobs.provider import JobsProvider
from sagecraft.services.jobs.reconciler import Reconciler
from sagecraft.services.jobs.service import JobsService
from sagecraft.services.jobs.validation import RequestRules
from sagecraft.services.logs.service import LogsService
from sagecraft.services.sts.service import StsService
from sagecraft.storage.metadata import MetadataStore
from sagecraft.storage.objects.base import ObjectStore


def jobs_provider(settings: Settings, metadata: MetadataStore, objects: ObjectStore, logs: LogsService, sts: StsService,
                  metrics: MetricRecorder | None, closers: list) -> JobsProvider:
    """Training and processing jobs on the executor SAGECRAFT_EXECUTOR names, advanced by a reconciler."""
    if settings.executor != "local":
        raise ValueError(f"SAGECRAFT_EXECUTOR={settings.executor!r}: only 'local' is available in this version.")
    executor = LocalExecutor(LocalExecutorConfig.from_env(settings.home))
    # Servers sharing a database (PostgreSQL) each run the jobs they created, on their own executor.
    owner = f"local:{socket.gethostname()}:{settings.home}"
    platform = Platform(store=metadata, objects=objects, executor=executor,
                        runtimes=lambda: RuntimeRegistry.load(settings.home), logs=logs, sts=sts,
                        endpoint_url=settings.endpoint_url, root=settings.home / "jobs", owner=owner,
                        python_envs=PythonEnvironments(settings.home / "pyenvs"), metrics=metrics,
                        ca_bundle=str(settings.tls_cert) if settings.tls_cert else None)
    rules = RequestRules(platform.runtimes, lambda bucket: objects.get_bucket(bucket) is not None,
                         settings.account_id)
    service = JobsService(metadata, rules, owner)
    reconciler = Reconciler(platform)
    service.listeners.append(reconciler.wake)
    reconciler.start()
    closers.append(reconciler.stop)
    return JobsProvider(service)
