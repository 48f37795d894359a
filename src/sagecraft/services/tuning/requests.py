"""The CreateHyperParameterTuningJob request: what is refused, and the child training jobs' requests."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sagecraft.core.errors import ResourceLimitExceeded, ValidationException
from sagecraft.services.jobs.service import metric_definitions
from sagecraft.services.tuning import definitions, hyperband, strategies

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
    many = request.get("TrainingJobDefinitions")
    if many and request.get("TrainingJobDefinition"):
        raise ValidationException("Specify either TrainingJobDefinition or TrainingJobDefinitions, not both.")
    if not many and not request.get("TrainingJobDefinition"):
        raise ValidationException("TrainingJobDefinition or TrainingJobDefinitions is required.")
    if (request.get("Autotune") or {}).get("Mode"):
        raise _unsupported("Autotune")
    if many:
        _check_multi_algorithm(request)
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
    found = definitions.of(request)
    if not many and not config.get("HyperParameterTuningJobObjective"):
        raise ValidationException("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective is required.")
    for definition in found:
        _check_definition(strategy, definition, bool(many))
    # The limits hold for the tuning job as a whole, over all its definitions.
    tuned = sum(len(_range_names(d.ranges)) for d in found)
    if tuned > strategies.MAX_PARAMETERS:
        raise ValidationException(f"At most {strategies.MAX_PARAMETERS} hyperparameters can be tuned; "
                                  f"{tuned} are given.")
    if strategy == "Grid" and definitions.grid_size(found) > strategies.MAX_GRID_COMBINATIONS:
        raise ValidationException(f"The Grid search strategy allows at most {strategies.MAX_GRID_COMBINATIONS} "
                                  f"combinations of values; these ranges have {definitions.grid_size(found)}.")


def _check_multi_algorithm(request: Mapping[str, Any]) -> None:
    """What TrainingJobDefinitions (multi-algorithm tuning) needs on top of each definition's checks."""
    config = request["HyperParameterTuningJobConfig"]
    many = request["TrainingJobDefinitions"]
    for key in ("HyperParameterTuningJobObjective", "ParameterRanges"):
        if config.get(key):
            raise ValidationException(f"HyperParameterTuningJobConfig.{key} cannot be used with "
                                      "TrainingJobDefinitions: give each definition its TuningObjective and "
                                      "HyperParameterRanges.")
    names = [d.get("DefinitionName") for d in many]
    if not all(names):
        raise ValidationException("Each of TrainingJobDefinitions needs a DefinitionName.")
    if len(set(names)) != len(names):
        raise ValidationException("The DefinitionName of each of TrainingJobDefinitions must be unique.")
    for definition in many:
        for key in ("TuningObjective", "HyperParameterRanges"):
            if not definition.get(key):
                raise ValidationException(f"TrainingJobDefinition {definition['DefinitionName']}: {key} is required "
                                          "in each of TrainingJobDefinitions.")
    if len({d["TuningObjective"].get("Type") for d in many}) > 1:
        raise ValidationException("The TuningObjective of every one of TrainingJobDefinitions must have the same "
                                  "Type (Maximize or Minimize): the best training job is chosen over all of them.")
    if request.get("WarmStartConfig"):
        raise _unsupported("WarmStartConfig with TrainingJobDefinitions")
    if config["Strategy"] == "Hyperband":
        raise _unsupported("The Hyperband strategy with TrainingJobDefinitions")


def _check_definition(strategy: str, found: definitions.Definition, many: bool) -> None:
    """One training job definition: its ranges, objective metric and resources."""
    where = f"TrainingJobDefinition {found.name}: " if many else ""
    definition, objective = found.body, found.objective
    try:
        strategies.validate_ranges(strategy, found.ranges)
    except ValidationException as error:
        raise ValidationException(f"{where}{error.message}") from None
    static = definition.get("StaticHyperParameters") or {}
    both = sorted(_range_names(found.ranges) & set(static))
    if both:
        raise ValidationException(f"{where}Hyperparameters cannot be both static and tuned: {', '.join(both)}.")
    spec = definition["AlgorithmSpecification"]
    if spec.get("AlgorithmName") and not spec.get("TrainingImage"):
        raise _unsupported("AlgorithmSpecification.AlgorithmName")
    names = [d["Name"] for d in metric_definitions(spec, static)]
    if objective.get("MetricName") not in names:
        raise ValidationException(
            f"{where}The objective metric '{objective.get('MetricName')}' is not among the training job's metric "
            f"definitions ({', '.join(names) or 'none: script-mode jobs must declare MetricDefinitions'}).")
    _check_instance_configs(definition.get("HyperParameterTuningResourceConfig") or {}, where)
    if not (_resource_config(definition) or {}).get("InstanceType"):
        raise ValidationException(f"{where}The training job definition needs a ResourceConfig or a "
                                  "HyperParameterTuningResourceConfig with an InstanceType or InstanceConfigs.")


def _check_instance_configs(tuning: Mapping[str, Any], where: str) -> None:
    configs = tuning.get("InstanceConfigs")  # AllocationStrategy: the gateway admits only Prioritized
    if not configs:
        return
    mixed = [k for k in ("InstanceType", "InstanceCount", "VolumeSizeInGB") if tuning.get(k) is not None]
    if mixed:
        raise ValidationException(f"{where}HyperParameterTuningResourceConfig: do not give {', '.join(mixed)} "
                                  "with InstanceConfigs.")


def _range_names(ranges: Mapping[str, Any]) -> set[str]:
    return {item["Name"] for key in ("ContinuousParameterRanges", "IntegerParameterRanges",
                                     "CategoricalParameterRanges") for item in ranges.get(key) or []}


def _resource_config(definition: Mapping[str, Any]) -> dict[str, Any] | None:
    tuning = definition.get("HyperParameterTuningResourceConfig")
    if tuning and tuning.get("InstanceConfigs"):
        # AllocationStrategy Prioritized: the first configuration is used while it has capacity, and
        # this machine runs any instance type, so every trial gets the first one.
        first = tuning["InstanceConfigs"][0]
        chosen = {k: first.get(k) for k in ("InstanceType", "InstanceCount", "VolumeSizeInGB")}
        if tuning.get("VolumeKmsKeyId"):
            chosen["VolumeKmsKeyId"] = tuning["VolumeKmsKeyId"]
        return {k: v for k, v in chosen.items() if v is not None}
    if tuning:
        keys = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")
        return {k: tuning[k] for k in keys if tuning.get(k) is not None}
    return copy.deepcopy(definition.get("ResourceConfig"))


def child_request(request: Mapping[str, Any], tuning_arn: str, child_name: str,
                  tuned: Mapping[str, str], definition_name: str | None = None) -> dict[str, Any]:
    """The CreateTrainingJob request of one trial of a definition: static + tuned hyperparameters, the
    objective's name, ResourceConfig (from HyperParameterTuningResourceConfig, as SageMaker shows it)."""
    found = definitions.named(request, definition_name)
    definition = found.body
    spec = copy.deepcopy(definition["AlgorithmSpecification"])
    static = dict(definition.get("StaticHyperParameters") or {})
    if not spec.get("MetricDefinitions"):
        spec.pop("MetricDefinitions", None)  # the jobs service fills in the built-in ones
    child: dict[str, Any] = {
        "TrainingJobName": child_name,
        "AlgorithmSpecification": spec,
        "HyperParameters": {**static, **tuned, OBJECTIVE_HYPERPARAMETER: found.objective["MetricName"]},
        "ResourceConfig": _resource_config(definition),
        "TuningJobArn": tuning_arn,
    }
    for key in COPIED:
        if definition.get(key) is not None:
            child[key] = copy.deepcopy(definition[key])
    return child
