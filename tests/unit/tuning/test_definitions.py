"""Training job definitions: one or several alike, which definition a trial uses, the children's
requests (objective name, InstanceConfigs), and the early-stopping peers of a definition."""

from __future__ import annotations

import pytest

from sagecraft.core.errors import ValidationException
from sagecraft.services.tuning import definitions, early_stopping, requests
from sagecraft.services.tuning.models import ChildResult, Trial
from sagecraft.services.tuning.progress import Progress


def _definition(name: str, metric: str, ranges: dict, **extra) -> dict:
    return {"DefinitionName": name, "TuningObjective": {"Type": "Maximize", "MetricName": metric},
            "HyperParameterRanges": ranges, "AlgorithmSpecification": {"TrainingImage": "img"},
            "StaticHyperParameters": {"k": "v"}, "RoleArn": "role", "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1}, **extra}


GRID_A = {"CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2"]}]}
GRID_B = {"CategoricalParameterRanges": [{"Name": "b", "Values": ["x", "y", "z"]}]}
MULTI = {"HyperParameterTuningJobConfig": {"Strategy": "Random"},
         "TrainingJobDefinitions": [_definition("one", "m1", GRID_A), _definition("two", "m2", GRID_B)]}


def test_a_single_definition_takes_the_objective_and_ranges_of_the_config():
    ranges = {"IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "3"}]}
    request = {"HyperParameterTuningJobConfig": {"HyperParameterTuningJobObjective": {"Type": "Minimize",
                                                                                     "MetricName": "loss"},
                                                 "ParameterRanges": ranges},
               "TrainingJobDefinition": {"RoleArn": "role"}}
    (only,) = definitions.of(request)
    assert only.name is None and only.objective["MetricName"] == "loss" and only.ranges == ranges
    assert definitions.named(request, None) is not None


def test_random_and_bayesian_take_the_definitions_in_turn():
    found = definitions.of(MULTI)
    picked = [definitions.pick("Bayesian", found, i) for i in range(5)]
    assert [(d.name, position) for d, position in picked] == [("one", 0), ("two", 0), ("one", 1), ("two", 1),
                                                               ("one", 2)]


def test_grid_walks_each_definitions_combinations_in_order():
    found = definitions.of(MULTI)
    assert definitions.grid_size(found) == 5
    picked = [definitions.pick("Grid", found, i) for i in range(6)]
    assert [(d.name, position) for d, position in picked[:5]] == [("one", 0), ("one", 1), ("two", 0), ("two", 1),
                                                                   ("two", 2)]
    assert picked[5] is None


def test_a_trials_request_uses_its_definition_and_the_first_instance_config():
    request = {**MULTI, "TrainingJobDefinitions": [
        MULTI["TrainingJobDefinitions"][0],
        _definition("two", "m2", GRID_B, ResourceConfig=None, HyperParameterTuningResourceConfig={
            "VolumeKmsKeyId": "key", "InstanceConfigs": [
                {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 3},
                {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1}]})]}
    first = requests.child_request(request, "arn", "t-001", {"a": "1"}, "one")
    assert first["HyperParameters"] == {"k": "v", "a": "1", "_tuning_objective_metric": "m1"}
    assert first["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    second = requests.child_request(request, "arn", "t-002", {"b": "x"}, "two")
    assert second["HyperParameters"]["_tuning_objective_metric"] == "m2"
    assert second["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 3,
                                        "VolumeKmsKeyId": "key"}


def _child(name: str, definition: str, status: str, values: list[float]) -> ChildResult:
    return ChildResult(Trial(0, name, {}, {}, definition), name, None, status, values=values)


def test_early_stopping_compares_a_trial_with_its_own_definitions_only():
    # Three ended trials of "two" score far higher than the running trial of "one": no peers of its own.
    ended = [_child(f"t{i}", "two", "Completed", [10.0, 10.0]) for i in range(3)]
    running = _child("r", "one", "InProgress", [0.1])
    assert early_stopping.to_stop(Progress([*ended, running], True), set()) == []
    same = _child("s", "two", "InProgress", [0.1])
    assert early_stopping.to_stop(Progress([*ended, same], True), set()) == [same]


def test_the_tuned_hyperparameter_limit_counts_every_definition():
    def ranges(prefix: str) -> dict:
        return {"IntegerParameterRanges": [{"Name": f"{prefix}{i}", "MinValue": "1", "MaxValue": "2"}
                                           for i in range(16)]}

    metrics = {"MetricDefinitions": [{"Name": "m", "Regex": "m=(.*)"}], "TrainingImage": "img"}
    request = {"HyperParameterTuningJobConfig": {"Strategy": "Random", "ResourceLimits": {
        "MaxParallelTrainingJobs": 1, "MaxNumberOfTrainingJobs": 2}},
        "TrainingJobDefinitions": [_definition("one", "m", ranges("a"), AlgorithmSpecification=metrics),
                                   _definition("two", "m", ranges("b"), AlgorithmSpecification=metrics)]}
    with pytest.raises(ValidationException, match="At most 30 hyperparameters can be tuned; 32 are given"):
        requests.check(request)
    request["TrainingJobDefinitions"][1]["HyperParameterRanges"] = ranges("b")
    request["TrainingJobDefinitions"][1]["HyperParameterRanges"]["IntegerParameterRanges"][14:] = []
    requests.check(request)  # 30 in all
