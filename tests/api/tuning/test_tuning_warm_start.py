"""Warm start: a finished tuning job's trials seed a new one; OverallBestTrainingJob spans both;
parents that cannot seed it are refused, before anything is stored."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tuning_support import children, tuning_request, unique, wait_tuning

XVAL = {"ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0", "MaxValue": "1"}]}


def _warm(request: dict, parents: list[str], kind: str = "IdenticalDataAndAlgorithm") -> dict:
    request["WarmStartConfig"] = {"WarmStartType": kind, "ParentHyperParameterTuningJobs": [
        {"HyperParameterTuningJobName": p} for p in parents]}
    return request


@pytest.fixture(scope="module")
def parent(sm, bucket, source) -> str:
    name = unique("tn-parent")
    sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, source, ranges=XVAL, max_jobs=3,
                                                          RandomSeed=1))
    assert wait_tuning(sm, name)["HyperParameterTuningJobStatus"] == "Completed"
    return name


def test_a_warm_start_job_runs_and_reports_the_overall_best(sm, bucket, source, parent):
    name = unique("tn-warm")
    request = _warm(tuning_request(name, bucket, source, strategy="Bayesian", ranges=XVAL, max_jobs=2), [parent])
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["WarmStartConfig"] == request["WarmStartConfig"]
    assert done["TrainingJobStatusCounters"]["Completed"] == 2  # only its own trials
    trials = children(sm, name) + children(sm, parent)
    assert len(trials) == 5
    best = max(trials, key=lambda t: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    overall = done["OverallBestTrainingJob"]
    assert overall["TrainingJobName"] == best["TrainingJobName"]
    assert overall["TuningJobName"] == best["TuningJobName"]
    assert done["BestTrainingJob"]["TuningJobName"] == name
    assert "OverallBestTrainingJob" not in sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=parent)

    grandchild = unique("tn-warm2")  # a warm-start job can be a parent; TransferLearning may change a static value
    request = _warm(tuning_request(grandchild, bucket, source, strategy="Random", ranges=XVAL, max_jobs=1),
                    [name], "TransferLearning")
    request["TrainingJobDefinition"]["StaticHyperParameters"]["sleep"] = "0.1"
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, grandchild)
    everything = trials + children(sm, grandchild)
    best = max(everything, key=lambda t: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert done["OverallBestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]


def _different_objective(request: dict) -> None:
    request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["Type"] = "Minimize"


def _other_image(request: dict) -> None:
    request["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] = (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")


def _categorical_xval(request: dict) -> None:
    request["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "CategoricalParameterRanges": [{"Name": "xval", "Values": ["0.1", "0.2"]}]}


@pytest.mark.parametrize("parents, change, message", [
    (lambda p: [unique("tn-none")], None, "does not exist"),
    (lambda p: [p] * 2, None, "twice"),
    (lambda p: [f"{p}-{i}" for i in range(6)], None, "less than or equal to 5"),
    (lambda p: [p], _different_objective, "objective metric"),
    (lambda p: [p], _other_image, "IdenticalDataAndAlgorithm"),
    (lambda p: [p], _categorical_xval, "type of a tuned hyperparameter"),
    (lambda p: [p], lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(num="2"), "number of static"),
])
def test_parents_that_cannot_seed_are_refused(sm, bucket, source, parent, parents, change, message):
    name = unique("tn-warm-bad")
    request = _warm(tuning_request(name, bucket, source, ranges=XVAL), parents(parent))
    if change:
        change(request)
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"] == []


def test_a_parent_still_running_is_refused(sm, bucket, source):
    running = unique("tn-running")
    sm.create_hyper_parameter_tuning_job(**tuning_request(running, bucket, source, ranges=XVAL, max_jobs=1,
                                                          parallel=1, sleep=30))
    try:
        with pytest.raises(ClientError) as raised:
            sm.create_hyper_parameter_tuning_job(**_warm(tuning_request(unique("tn-warm-early"), bucket, source,
                                                                        ranges=XVAL), [running]))
        assert raised.value.response["Error"]["Code"] == "ValidationException"
        assert "InProgress" in raised.value.response["Error"]["Message"]
    finally:
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=running)
