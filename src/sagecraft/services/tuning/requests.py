"""The CreateHyperParameterTuningJob request: what is refused, and the child training jobs' requests."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sagecraft.core.errors import ResourceLimitExceeded, ValidationException
from sagecraft.services.jobs.service import metric_definitions
from sagecraft.services.tuning import hyperband, strategies

OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"  # SageMaker passes the objective's name to each trial
# SageMaker's default account quotas for one tuning job.
MAX_TRAINING_JOBS = 500
MAX_PARALLEL_TRAINING_JOBS = 100
COPIED = ("RoleArn", "InputDataConfig", "VpcConfig", "OutputDataConfig", "StoppingCondition",
          "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
          "CheckpointConfig", "RetryStrategy", "Environment")


def _unsupported(what: str) -> ValidationException:
    return ValidationException(f"{what} is not supported by Sagecraft yet.")


def check(request: Mapping[str, Any]) -> None:
    """ValidationException for a tuning request SageMaker refuses or Sagecraft cannot run yet."""
    config = request["HyperParameterTuningJobConfig"]
    strategy = config["Strategy"]
    if strategy not in strategies.STRATEGIES:
        raise _unsupported(f"The {strategy} strategy")
    if request.get("TrainingJobDefinitions"):
        raise _unsupported("TrainingJobDefinitions (multi-algorithm tuning)")
    if not request.get("TrainingJobDefinition"):
        raise ValidationException("TrainingJobDefinition is required.")
    if (request.get("Autotune") or {}).get("Mode"):
        raise _unsupported("Autotune")
    hyperband.check(request)
    limits = config.get("ResourceLimits") or {}
    if not limits.get("MaxParallelTrainingJobs"):
        raise ValidationException("ResourceLimits.MaxParallelTrainingJobs is required.")
    if (limits.get("MaxNumberOfTrainingJobs") or 0) > MAX_TRAINING_JOBS:
        raise ResourceLimitExceeded(f"MaxNumberOfTrainingJobs is limited to {MAX_TRAINING_JOBS} per tuning job.")
    if limits["MaxParallelTrainingJobs"] > MAX_PARALLEL_TRAINING_JOBS:
        raise ResourceLimitExceeded(f"MaxParallelTrainingJobs is limited to {MAX_PARALLEL_TRAINING_JOBS}.")
    if strategy != "Grid" and not limits.get("MaxNumberOfTrainingJobs"):
        raise ValidationException(f"ResourceLimits.MaxNumberOfTrainingJobs is required for the {strategy} strategy.")
    objective = config.get("HyperParameterTuningJobObjective")
    if not objective:
        raise ValidationException("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective is required.")
    ranges = config.get("ParameterRanges") or {}
    strategies.validate_ranges(strategy, ranges)
    definition = request["TrainingJobDefinition"]
    static = definition.get("StaticHyperParameters") or {}
    tuned = _range_names(ranges)
    both = sorted(tuned & set(static))
    if both:
        raise ValidationException(f"Hyperparameters cannot be both static and tuned: {', '.join(both)}.")
    spec = definition["AlgorithmSpecification"]
    if spec.get("AlgorithmName") and not spec.get("TrainingImage"):
        raise _unsupported("AlgorithmSpecification.AlgorithmName")
    names = [d["Name"] for d in metric_definitions(spec, static)]
    if objective["MetricName"] not in names:
        raise ValidationException(
            f"The objective metric '{objective['MetricName']}' is not among the training job's metric definitions "
            f"({', '.join(names) or 'none: script-mode jobs must declare MetricDefinitions'}).")
    if (definition.get("HyperParameterTuningResourceConfig") or {}).get("InstanceConfigs"):
        raise _unsupported("HyperParameterTuningResourceConfig.InstanceConfigs")
    if not (_resource_config(definition) or {}).get("InstanceType"):
        raise ValidationException("TrainingJobDefinition needs a ResourceConfig or a "
                                  "HyperParameterTuningResourceConfig with an InstanceType.")


def _range_names(ranges: Mapping[str, Any]) -> set[str]:
    return {item["Name"] for key in ("ContinuousParameterRanges", "IntegerParameterRanges",
                                     "CategoricalParameterRanges") for item in ranges.get(key) or []}


def _resource_config(definition: Mapping[str, Any]) -> dict[str, Any] | None:
    tuning = definition.get("HyperParameterTuningResourceConfig")
    if tuning:
        keys = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")
        return {k: tuning[k] for k in keys if tuning.get(k) is not None}
    return copy.deepcopy(definition.get("ResourceConfig"))


def child_request(request: Mapping[str, Any], tuning_arn: str, child_name: str,
                  tuned: Mapping[str, str]) -> dict[str, Any]:
    """The CreateTrainingJob request of one trial: static + tuned hyperparameters, the objective's name,
    ResourceConfig (from HyperParameterTuningResourceConfig, as SageMaker shows it on the child)."""
    definition = request["TrainingJobDefinition"]
    config = request["HyperParameterTuningJobConfig"]
    spec = copy.deepcopy(definition["AlgorithmSpecification"])
    static = dict(definition.get("StaticHyperParameters") or {})
    if not spec.get("MetricDefinitions"):
        spec.pop("MetricDefinitions", None)  # the jobs service fills in the built-in ones
    child: dict[str, Any] = {
        "TrainingJobName": child_name,
        "AlgorithmSpecification": spec,
        "HyperParameters": {**static, **tuned,
                            OBJECTIVE_HYPERPARAMETER: config["HyperParameterTuningJobObjective"]["MetricName"]},
        "ResourceConfig": _resource_config(definition),
        "TuningJobArn": tuning_arn,
    }
    for key in COPIED:
        if definition.get(key) is not None:
            child[key] = copy.deepcopy(definition[key])
    return child
