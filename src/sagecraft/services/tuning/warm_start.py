"""Warm start (WarmStartConfig): earlier tuning jobs' trials seed the new job's sampler.

At creation the parents are checked as SageMaker documents its warm-start restrictions, and the
trials of theirs that reported the objective are kept in the new job's state as seeds (their
hyperparameter strings and objective value): the parents are finished, so the seeds never change.
Each suggestion adds the seeds that fit the new ranges to the sampler's history (strategies.py),
so Bayesian (TPE) models them before its own trials. Pure but for the parents handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagecraft.core.errors import ResourceLimitExceeded, ValidationException
from sagecraft.services.tuning import requests, strategies
from sagecraft.services.tuning.models import ChildResult, TuningJob

MAX_PARENTS = 5
MAX_CHANGES = 10  # tuned-to-static changes plus changed static values, across a parent and the new job
TYPES = ("ContinuousParameterRanges", "IntegerParameterRanges", "CategoricalParameterRanges")


def parent_names(request: Mapping[str, Any]) -> list[str]:
    config = request.get("WarmStartConfig") or {}
    return [p["HyperParameterTuningJobName"] for p in config.get("ParentHyperParameterTuningJobs") or []]


def check_count(request: Mapping[str, Any]) -> None:
    names = parent_names(request)
    if not names:
        raise ValidationException("WarmStartConfig.ParentHyperParameterTuningJobs must name at least one tuning job.")
    if len(names) > MAX_PARENTS:
        raise ValidationException(f"A warm start tuning job can have at most {MAX_PARENTS} parent tuning jobs; "
                                  f"{len(names)} are given.")
    if len(set(names)) != len(names):
        raise ValidationException("WarmStartConfig.ParentHyperParameterTuningJobs lists a tuning job twice.")


def check(request: Mapping[str, Any], parents: list[TuningJob]) -> None:
    """ValidationException when a parent cannot seed this request (SageMaker's warm-start restrictions)."""
    config = request["HyperParameterTuningJobConfig"]
    identical = request["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    definition = request["TrainingJobDefinition"]
    launched = sum(len(p.trials) for p in parents) + int((config.get("ResourceLimits") or {})
                                                          .get("MaxNumberOfTrainingJobs") or 0)
    if launched > requests.MAX_TRAINING_JOBS:
        raise ResourceLimitExceeded(f"The parent tuning jobs' training jobs and this one's count against the limit "
                                    f"of {requests.MAX_TRAINING_JOBS} training jobs; together they are {launched}.")
    for parent in parents:
        if parent.request.get("TrainingJobDefinitions"):
            raise ValidationException(f"Warm start from the multi-algorithm tuning job {parent.name} is not "
                                      "supported by Sagecraft yet.")
        if not parent.status.terminal:
            raise ValidationException(f"The parent tuning job {parent.name} is {parent.status.value}: a parent must "
                                      "be Completed, Stopped or Failed.")
        if parent.objective != config["HyperParameterTuningJobObjective"]:
            raise ValidationException(f"The objective metric of the new tuning job must be the same as its parent "
                                      f"{parent.name}'s ({parent.objective['Type']} {parent.objective['MetricName']}).")
        old, new = _kinds(parent.request), _kinds(request)
        changed = sorted(n for n in old.keys() & new.keys() if "Static" not in (old[n], new[n]) and old[n] != new[n])
        if changed:
            raise ValidationException(f"The type of a tuned hyperparameter cannot change from the parent "
                                      f"{parent.name}: {', '.join(changed)}.")
        if len(old) != len(new):
            raise ValidationException(f"The number of static plus tuned hyperparameters ({len(new)}) must be the "
                                      f"same as in the parent {parent.name} ({len(old)}).")
        if _changes(parent.request, request) > MAX_CHANGES:
            raise ValidationException(f"At most {MAX_CHANGES} hyperparameters can change from tuned to static or "
                                      f"change their static value from the parent {parent.name}.")
        if identical:
            before = parent.request["TrainingJobDefinition"]
            if (before["AlgorithmSpecification"].get("TrainingImage")
                    != definition["AlgorithmSpecification"].get("TrainingImage")
                    or _data(before) != _data(definition)):
                raise ValidationException(f"IdenticalDataAndAlgorithm warm start needs the training image and input "
                                          f"data of the parent {parent.name}; use TransferLearning otherwise.")


def _user_static(request: Mapping[str, Any]) -> dict[str, str]:
    static = (request.get("TrainingJobDefinition") or {}).get("StaticHyperParameters") or {}
    return {k: v for k, v in static.items() if not k.startswith(("sagemaker_", "_"))}  # the SDK's own


def _kinds(request: Mapping[str, Any]) -> dict[str, str]:
    ranges = request["HyperParameterTuningJobConfig"].get("ParameterRanges") or {}
    out = {name: "Static" for name in _user_static(request)}
    for key in TYPES:
        out.update({item["Name"]: key for item in ranges.get(key) or []})
    return out


def _changes(parent: Mapping[str, Any], request: Mapping[str, Any]) -> int:
    old_kinds, old_static, new_static = _kinds(parent), _user_static(parent), _user_static(request)
    to_static = sum(1 for n in new_static if old_kinds.get(n) not in (None, "Static"))
    changed = sum(1 for n, v in new_static.items() if n in old_static and old_static[n] != v)
    return to_static + changed


def _data(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    return sorted((c["ChannelName"], str((c.get("DataSource") or {}).get("S3DataSource", {}).get("S3Uri")))
                  for c in definition.get("InputDataConfig") or [])


def seeds(parent: TuningJob, children: list[ChildResult]) -> list[dict[str, Any]]:
    """The parent's trials that reported the objective: every hyperparameter string and the value."""
    static = (parent.request.get("TrainingJobDefinition") or {}).get("StaticHyperParameters") or {}
    return [{"parent": parent.name, "values": {**static, **child.trial.tuned}, "objective": child.objective}
            for child in children if child.objective is not None]


def history(ranges: Mapping[str, Any], state: Mapping[str, Any]) -> list[tuple[dict[str, Any], float]]:
    """The seeds that fit ``ranges``, as (sampler values, objective) for strategies.suggest."""
    out = []
    for seed in (state.get("warm_start") or {}).get("seeds") or []:
        internal = strategies.internal_values(ranges, seed["values"])
        if internal is not None:
            out.append((internal, float(seed["objective"])))
    return out
