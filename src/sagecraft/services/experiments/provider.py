"""SageMaker Experiments on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.experiments.components import TrialComponentsService
from sagecraft.services.experiments.metric_queries import answer
from sagecraft.services.experiments.paging import page, sort, within
from sagecraft.services.experiments.service import ExperimentsService

SORT_KEYS = {"Name": lambda item: item.name, "CreationTime": lambda item: (item.created_at, item.id)}


def _scope(operation: str, params: dict) -> str:
    """A listing's identity, so a NextToken is only honoured by the listing that issued it."""
    kept = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return operation + ":" + hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _listing(items: list, params: dict, operation: str) -> tuple[list, str | None]:
    selected = sort([i for i in items if within(i.created_at, params)], params, SORT_KEYS)
    return page(selected, params, _scope(operation, params))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class ExperimentsProvider:
    service_name = "sagemaker"
    operations = frozenset(
        {
            "CreateExperiment",
            "DescribeExperiment",
            "ListExperiments",
            "UpdateExperiment",
            "DeleteExperiment",
            "CreateTrial",
            "DescribeTrial",
            "ListTrials",
            "UpdateTrial",
            "DeleteTrial",
            "CreateTrialComponent",
            "DescribeTrialComponent",
            "ListTrialComponents",
            "UpdateTrialComponent",
            "DeleteTrialComponent",
            "AssociateTrialComponent",
            "DisassociateTrialComponent",
        }
    )
    threaded_operations = operations  # all touch the metadata store: off the event loop

    def __init__(self, experiments: ExperimentsService, components: TrialComponentsService) -> None:
        self.experiments = experiments
        self.components = components

    # -- experiments -----------------------------------------------------------------------------------

    def create_experiment(self, context: RequestContext, params: dict) -> dict:
        return {"ExperimentArn": self.experiments.create_experiment(context.account_id, context.region, params)}

    def describe_experiment(self, context: RequestContext, params: dict) -> dict:
        return self.experiments.experiment(context.account_id, context.region, params["ExperimentName"]).describe()

    def list_experiments(self, context: RequestContext, params: dict) -> dict:
        found, token = _listing(
            self.experiments.experiments(context.account_id, context.region), params, "ListExperiments"
        )
        return _drop_none({"ExperimentSummaries": [e.summary() for e in found], "NextToken": token})

    def update_experiment(self, context: RequestContext, params: dict) -> dict:
        return {"ExperimentArn": self.experiments.update_experiment(context.account_id, context.region, params)}

    def delete_experiment(self, context: RequestContext, params: dict) -> dict:
        arn = self.experiments.delete_experiment(context.account_id, context.region, params["ExperimentName"])
        return {"ExperimentArn": arn}

    # -- trials ----------------------------------------------------------------------------------------

    def create_trial(self, context: RequestContext, params: dict) -> dict:
        return {"TrialArn": self.experiments.create_trial(context.account_id, context.region, params)}

    def describe_trial(self, context: RequestContext, params: dict) -> dict:
        return self.experiments.trial(context.account_id, context.region, params["TrialName"]).describe()

    def list_trials(self, context: RequestContext, params: dict) -> dict:
        found, token = _listing(
            self.experiments.trials(context.account_id, context.region, params), params, "ListTrials"
        )
        return _drop_none({"TrialSummaries": [t.summary() for t in found], "NextToken": token})

    def update_trial(self, context: RequestContext, params: dict) -> dict:
        return {"TrialArn": self.experiments.update_trial(context.account_id, context.region, params)}

    def delete_trial(self, context: RequestContext, params: dict) -> dict:
        return {"TrialArn": self.experiments.delete_trial(context.account_id, context.region, params["TrialName"])}

    # -- trial components ------------------------------------------------------------------------------

    def create_trial_component(self, context: RequestContext, params: dict) -> dict:
        component = self.components.create(context.account_id, context.region, params)
        return {"TrialComponentArn": component.arn}

    def describe_trial_component(self, context: RequestContext, params: dict) -> dict:
        name = params["TrialComponentName"]
        return self.components.get(context.account_id, context.region, name).describe()

    def list_trial_components(self, context: RequestContext, params: dict) -> dict:
        found, token = _listing(
            self.components.list(context.account_id, context.region, params), params, "ListTrialComponents"
        )
        return _drop_none({"TrialComponentSummaries": [c.summary() for c in found], "NextToken": token})

    def update_trial_component(self, context: RequestContext, params: dict) -> dict:
        return {"TrialComponentArn": self.components.update(context.account_id, context.region, params)}

    def delete_trial_component(self, context: RequestContext, params: dict) -> dict:
        arn = self.components.delete(context.account_id, context.region, params["TrialComponentName"])
        return {"TrialComponentArn": arn}

    def associate_trial_component(self, context: RequestContext, params: dict) -> dict:
        component_arn, trial_arn = self.experiments.associate(
            context.account_id, context.region, params["TrialComponentName"], params["TrialName"]
        )
        return {"TrialComponentArn": component_arn, "TrialArn": trial_arn}

    def disassociate_trial_component(self, context: RequestContext, params: dict) -> dict:
        component_arn, trial_arn = self.experiments.disassociate(
            context.account_id, context.region, params["TrialComponentName"], params["TrialName"]
        )
        return {"TrialComponentArn": component_arn, "TrialArn": trial_arn}


class MetricsProvider:
    """The ``sagemaker-metrics`` service (rest-json): what ``Run.log_metric``'s background thread calls."""

    service_name = "sagemaker-metrics"
    threaded_operations = frozenset({"BatchPutMetrics", "BatchGetMetrics"})

    def __init__(self, components: TrialComponentsService) -> None:
        self.components = components

    def batch_put_metrics(self, context: RequestContext, params: dict) -> dict:
        errors = self.components.put_metrics(
            context.account_id, context.region, params["TrialComponentName"], params["MetricData"]
        )
        return {"Errors": errors}

    def batch_get_metrics(self, context: RequestContext, params: dict) -> dict:
        return {"MetricQueryResults": [answer(self.components, q) for q in params["MetricQueries"]]}
