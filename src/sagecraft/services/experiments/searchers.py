"""Search's records for the experiments' resources (registered on services/search at composition).

Each searcher returns every record of its resource in the caller's account and region, shaped as
botocore's SearchRecord member: ``TrialComponent`` (with Parents, Metrics summaries, Tags, Source),
``Experiment`` and ``Trial`` (with its TrialComponentSummaries).

The registered searchers also say what the generic dispatcher cannot guess: ``record_key``, the
SearchRecord member their records go under (``ExperimentTrialComponent`` → ``TrialComponent``), and
``matches`` / ``sort_key``, SageMaker's property paths for them (``Metrics.<name>.<stat>``,
``Parameters.<name>``, nested filters named from their NestedPropertyName), see search_expression.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.experiments import search_expression
from sagecraft.services.experiments.components import TrialComponentsService
from sagecraft.services.experiments.service import ExperimentsService
from sagecraft.services.search.registry import SearchRegistry


class RecordSearcher:
    """A searcher ``(context, params) -> records`` that knows its SearchRecord member and paths."""

    matches = staticmethod(search_expression.matches)
    sort_key = staticmethod(search_expression.sort_key)

    def __init__(self, load: Callable[[RequestContext, dict], list[dict[str, Any]]], record_key: str) -> None:
        self.load = load
        self.record_key = record_key

    def __call__(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        return self.load(context, params)


class ExperimentSearchers:
    def __init__(self, experiments: ExperimentsService, components: TrialComponentsService) -> None:
        self.experiments = experiments
        self.components = components

    def register_on(self, registry: SearchRegistry) -> None:
        registry.register("ExperimentTrialComponent", RecordSearcher(self.trial_components, "TrialComponent"))
        registry.register("Experiment", RecordSearcher(self.experiment_records, "Experiment"))
        registry.register("ExperimentTrial", RecordSearcher(self.trials, "Trial"))

    def trial_components(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        return [c.search_record() for c in self.components.all(context.account_id, context.region)]

    def experiment_records(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        return [
            {**e.describe(), "Tags": e.tags} for e in self.experiments.experiments(context.account_id, context.region)
        ]

    def trials(self, context: RequestContext, params: dict) -> list[dict[str, Any]]:
        components = self.components.all(context.account_id, context.region)
        out = []
        for trial in self.experiments.trials(context.account_id, context.region, {}):
            members = [c for c in components if any(p["TrialName"] == trial.name for p in c.parents)]
            summaries = [
                {
                    "TrialComponentName": c.name,
                    "TrialComponentArn": c.arn,
                    "TrialComponentSource": c.source,
                    "CreationTime": c.created_at,
                }
                for c in members
            ]
            out.append(
                {
                    **trial.describe(),
                    "Tags": trial.tags,
                    "TrialComponentSummaries": [{k: v for k, v in s.items() if v is not None} for s in summaries],
                }
            )
        return out
