"""The Hyperband strategy's stopping side: Optuna's HyperbandPruner over the trials' per-epoch objective.

Epoch k of a trial is the k-th value of the objective metric it logged (the jobs service keeps them,
as for early stopping). The pruner is stateful (it records each trial's value at every rung it
passed as Optuna system attributes), so the tuning job keeps those records in its state
(``hyperband``: trial name -> last epoch replayed and the rung records) and each round rebuilds an
in-memory study from them, then replays every new epoch of every trial through the pruner, in
order. Trials are added in launch order, so Optuna's trial number is the trial's index and the
bracket a trial falls in (a hash of the study name and that number) never changes. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from sagecraft.core.errors import ValidationException
from sagecraft.services.tuning.models import ChildResult

REDUCTION_FACTOR = 3  # Optuna's default: a third of a rung's trials go on to the next
MAX_RESOURCE_LIMIT = 20_000  # SageMaker's documented maximum
EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")  # where MaxResource is inferred from
STUDY_NAME = "sagecraft-hyperband"  # fixed: the bracket of trial n depends on it
_PLACEHOLDER = {"trial": FloatDistribution(0.0, 1.0)}  # the pruner reads no parameters


def _config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    return (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}


def check(request: Mapping[str, Any]) -> None:
    """ValidationException for a Hyperband request SageMaker refuses (and StrategyConfig elsewhere)."""
    config = request["HyperParameterTuningJobConfig"]
    if config["Strategy"] != "Hyperband":
        if _config(config):
            raise ValidationException("HyperbandStrategyConfig can be provided only when the Hyperband "
                                      "strategy is selected.")
        return
    if (config.get("TrainingJobEarlyStoppingType") or "Off") != "Off":
        raise ValidationException("TrainingJobEarlyStoppingType must be Off when the Hyperband strategy is used: "
                                  "Hyperband has its own early stopping mechanism.")
    low, high = resources(request)
    if low > high:
        raise ValidationException(f"HyperbandStrategyConfig.MinResource ({low}) must not be greater than "
                                  f"MaxResource ({high}).")


def resources(request: Mapping[str, Any]) -> tuple[int, int]:
    """(MinResource, MaxResource); MaxResource inferred from the epoch hyperparameters when absent."""
    settings = _config(request["HyperParameterTuningJobConfig"])
    low = int(settings.get("MinResource") or 1)
    high = settings.get("MaxResource")
    if high is None:
        static = (request.get("TrainingJobDefinition") or {}).get("StaticHyperParameters") or {}
        found = next((static[key] for key in EPOCH_KEYS if key in static), None)
        try:
            high = int(str(found).strip('"')) if found is not None else None
        except ValueError:
            high = None
        if high is None:
            raise ValidationException(
                "HyperbandStrategyConfig.MaxResource is required: it could not be inferred from the static "
                f"hyperparameters ({', '.join(EPOCH_KEYS)}).")
    high = int(high)
    if not 1 <= high <= MAX_RESOURCE_LIMIT:
        raise ValidationException(f"HyperbandStrategyConfig.MaxResource must be between 1 and {MAX_RESOURCE_LIMIT}.")
    return low, high


def decide(children: list[ChildResult], maximize: bool, low: int, high: int, stopped: set[str],
           rungs: Mapping[str, Any]) -> tuple[dict[str, Any], list[ChildResult]]:
    """Replay every trial's new epochs through the pruner: (the updated rung records, running trials
    to stop — pruned at a rung, or past MaxResource epochs)."""
    records: dict[str, Any] = {name: dict(record) for name, record in rungs.items()}
    to_stop: list[ChildResult] = []
    pruner = optuna.pruners.HyperbandPruner(min_resource=low, max_resource=high, reduction_factor=REDUCTION_FACTOR)
    for child in children:
        record = records.get(child.name) or {"step": 0, "attrs": {}}
        if child.status not in ("InProgress", "Completed") or child.name in stopped:
            continue
        if len(child.values) <= record["step"]:
            continue
        study = _study(children, records, child, maximize, pruner)
        trial_id = study.trials[child.trial.index]._trial_id
        storage = study._storage
        step = record["step"]
        stop = False
        for step in range(record["step"] + 1, len(child.values) + 1):
            storage.set_trial_intermediate_value(trial_id, step, child.values[step - 1])
            if step >= high or pruner.prune(study, storage.get_trial(trial_id)):
                stop = True
                break
        attrs = {k: v for k, v in storage.get_trial(trial_id).system_attrs.items() if k.startswith("completed_rung_")}
        records[child.name] = {"step": step, "attrs": attrs}
        if stop and child.status == "InProgress":
            to_stop.append(child)
    return records, to_stop


def _study(children: list[ChildResult], records: Mapping[str, Any], current: ChildResult, maximize: bool,
           pruner: optuna.pruners.BasePruner) -> optuna.Study:
    """Every trial in launch order with what the pruner recorded of it; ``current`` as the running one."""
    study = optuna.create_study(study_name=STUDY_NAME, direction="maximize" if maximize else "minimize",
                                pruner=pruner)
    for child in sorted(children, key=lambda c: c.trial.index):
        record = records.get(child.name) or {"step": 0, "attrs": {}}
        values = {step: child.values[step - 1] for step in range(1, min(record["step"], len(child.values)) + 1)}
        state = TrialState.RUNNING
        if child is not current:
            if child.status == "Completed" and child.objective is not None:
                state = TrialState.COMPLETE
            elif child.status == "Stopped":
                state = TrialState.PRUNED
            elif child.status != "InProgress":
                state = TrialState.FAIL
        study.add_trial(create_trial(
            params={"trial": 0.0}, distributions=_PLACEHOLDER, state=state, intermediate_values=values,
            value=child.objective if state is TrialState.COMPLETE else None, system_attrs=dict(record["attrs"])))
    return study
