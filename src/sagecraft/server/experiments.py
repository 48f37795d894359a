"""Wiring of experiments and lineage: their providers, jobs recorded as trial components, and the
experiments' Search resources."""

from __future__ import annotations

from dataclasses import dataclass

from sagecraft.services.experiments.components import TrialComponentsService
from sagecraft.services.experiments.jobs_link import JobComponents
from sagecraft.services.experiments.provider import ExperimentsProvider, MetricsProvider
from sagecraft.services.experiments.searchers import ExperimentSearchers
from sagecraft.services.experiments.service import ExperimentsService
from sagecraft.services.jobs.service import JobsService
from sagecraft.services.lineage.provider import LineageProvider
from sagecraft.services.lineage.service import LineageService
from sagecraft.services.search.registry import SearchRegistry
from sagecraft.storage.metadata import MetadataStore


@dataclass
class ExperimentsProviders:
    control: ExperimentsProvider  # part of the sagemaker composite
    lineage: LineageProvider  # part of the sagemaker composite
    metrics: MetricsProvider  # the sagemaker-metrics service


def experiments_providers(metadata: MetadataStore, jobs: JobsService, search: SearchRegistry) -> ExperimentsProviders:
    """Experiments over ``metadata``; every job of ``jobs`` becomes a trial component."""
    experiments = ExperimentsService(metadata)
    components = TrialComponentsService(metadata)
    lineage = LineageService(metadata)
    link = JobComponents(jobs, experiments, components, lineage)
    jobs.listeners.append(link.job_changed)
    components.mirrors.append(link.mirror)
    ExperimentSearchers(experiments, components).register_on(search)
    return ExperimentsProviders(
        ExperimentsProvider(experiments, components),
        LineageProvider(lineage),
        MetricsProvider(components),
    )
