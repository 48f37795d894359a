"""Wiring of the tuning capability: its service over the jobs service, and the reconciler thread."""

from __future__ import annotations

from sagecraft.services.jobs.service import JobsService
from sagecraft.services.tuning.provider import TuningProvider
from sagecraft.services.tuning.reconciler import TuningReconciler
from sagecraft.services.tuning.service import TuningService
from sagecraft.storage.metadata import MetadataStore


def tuning_provider(metadata: MetadataStore, jobs: JobsService, closers: list) -> TuningProvider:
    """Tuning jobs whose trials are training jobs of ``jobs`` (same owner: this server runs both)."""
    service = TuningService(metadata, jobs, jobs.owner)
    reconciler = TuningReconciler(service)
    service.listeners.append(reconciler.wake)
    reconciler.start()
    closers.append(reconciler.stop)
    return TuningProvider(service)
