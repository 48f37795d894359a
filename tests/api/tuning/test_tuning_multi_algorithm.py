"""Multi-algorithm tuning (TrainingJobDefinitions): trials take the definitions in turn, each sampling
its own ranges and judged by its own objective metric; the best is over all of them. Also
HyperParameterTuningResourceConfig.InstanceConfigs (the first configuration runs every trial)."""

from __future__ import annotations

import copy
import math

import pytest
from botocore.exceptions import ClientError
from tuning_support import children, multi_algorithm_request, tuning_request, unique, wait_tuning


def test_trials_take_the_definitions_in_turn_and_the_best_is_over_all(sm, bucket, source):
    name = unique("tn-multi")
    request = multi_algorithm_request(name, bucket, source)
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobDefinitions"] == request["TrainingJobDefinitions"]  # as sent
    assert "TrainingJobDefinition" not in done
    assert done["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}

    trials = sorted(children(sm, name), key=lambda t: t["TrainingJobName"])
    assert [t["TrainingJobDefinitionName"] for t in trials] == ["alpha", "beta", "alpha", "beta"]
    for trial in trials:
        tuned, final = trial["TunedHyperParameters"], trial["FinalHyperParameterTuningJobObjectiveMetric"]
        child = sm.describe_training_job(TrainingJobName=trial["TrainingJobName"])
        if trial["TrainingJobDefinitionName"] == "alpha":
            assert set(tuned) == {"xval"} and final["MetricName"] == "objective"
            expected = -(float(tuned["xval"]) - 0.3) ** 2 - 0.01  # num and mode at the script's defaults
            assert child["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                               "VolumeSizeInGB": 5}
        else:
            assert set(tuned) == {"num", "mode"} and final["MetricName"] == "beta-objective"
            expected = -0.01 * int(tuned["num"]) + (0.1 if tuned["mode"] == "b" else 0.0)
            # InstanceConfigs, AllocationStrategy Prioritized: the first configuration.
            assert child["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                                               "VolumeSizeInGB": 7}
        assert child["HyperParameters"]["_tuning_objective_metric"] == final["MetricName"]
        assert math.isclose(final["Value"], expected, rel_tol=1e-6, abs_tol=1e-9)
    values = {t["TrainingJobName"]: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials}
    best = done["BestTrainingJob"]
    assert best["TrainingJobName"] == max(values, key=values.get)
    assert best["TrainingJobDefinitionName"] == next(
        t["TrainingJobDefinitionName"] for t in trials if t["TrainingJobName"] == best["TrainingJobName"])

    warm = tuning_request(unique("tn-multi-warm"), bucket, source)  # a single-definition child of it
    warm["WarmStartConfig"] = {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": name}],
                               "WarmStartType": "TransferLearning"}
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**warm)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "multi-algorithm tuning job" in raised.value.response["Error"]["Message"]


def test_grid_walks_each_definitions_combinations(sm, bucket, source):
    name = unique("tn-multi-grid")
    request = multi_algorithm_request(name, bucket, source, strategy="Grid")
    del request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    alpha, beta = request["TrainingJobDefinitions"]
    alpha["HyperParameterRanges"] = {"CategoricalParameterRanges": [{"Name": "xval", "Values": ["0.1", "0.3"]}]}
    beta["HyperParameterRanges"] = {"CategoricalParameterRanges": [{"Name": "mode", "Values": ["a", "b", "bad"]}]}
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["TrainingJobStatusCounters"]["NonRetryableError"] == 1  # mode "bad" fails its trial
    trials = sorted(children(sm, name), key=lambda t: t["TrainingJobName"])
    assert [(t["TrainingJobDefinitionName"], t["TunedHyperParameters"]) for t in trials] == [
        ("alpha", {"xval": "0.1"}), ("alpha", {"xval": "0.3"}),
        ("beta", {"mode": "a"}), ("beta", {"mode": "b"}), ("beta", {"mode": "bad"})]
    assert done["BestTrainingJob"]["TrainingJobName"] == trials[3]["TrainingJobName"]  # 0.1 - 0.01 beats -0.01


def _definitions(request: dict) -> list[dict]:
    return request["TrainingJobDefinitions"]


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(TrainingJobDefinition=copy.deepcopy(_definitions(r)[0])), "not both"),
    (lambda r: _definitions(r)[1].update(DefinitionName="alpha"), "must be unique"),
    (lambda r: _definitions(r)[1].pop("DefinitionName"), "needs a DefinitionName"),
    (lambda r: _definitions(r)[1].pop("TuningObjective"), "TuningObjective is required"),
    (lambda r: _definitions(r)[0].pop("HyperParameterRanges"), "HyperParameterRanges is required"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(
        HyperParameterTuningJobObjective={"Type": "Maximize", "MetricName": "objective"}), "cannot be used with"),
    (lambda r: _definitions(r)[1]["TuningObjective"].update(Type="Minimize"), "same Type"),
    (lambda r: _definitions(r)[1]["TuningObjective"].update(MetricName="objective"),
     "TrainingJobDefinition beta: The objective metric 'objective'"),
    (lambda r: _definitions(r)[0]["HyperParameterRanges"]["ContinuousParameterRanges"][0].update(MinValue="2"),
     "TrainingJobDefinition alpha: The MinValue"),
    (lambda r: _definitions(r)[1]["StaticHyperParameters"].update(mode="a"), "both static and tuned: mode"),
    (lambda r: r.update(TrainingJobDefinitions=[dict(_definitions(r)[0], DefinitionName=f"d{i}")
                                                for i in range(11)]), "less than or equal to 10"),
    (lambda r: r.update(WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "p"}],
                                         "WarmStartType": "TransferLearning"}), "not supported by Sagecraft yet"),
    (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Hyperband"), "not supported by Sagecraft yet"),
    (lambda r: _definitions(r)[1]["HyperParameterTuningResourceConfig"].update(InstanceType="ml.m5.large"),
     "do not give InstanceType with InstanceConfigs"),
    (lambda r: _definitions(r)[1]["HyperParameterTuningResourceConfig"].update(AllocationStrategy="Cheapest"),
     "enum value set: [Prioritized]"),
    (lambda r: _definitions(r)[1]["OutputDataConfig"].update(S3OutputPath="s3://no-such-bucket-multi/o"),
     "no-such-bucket-multi"),
])
def test_invalid_multi_algorithm_requests_are_refused_and_change_nothing(sm, bucket, source, change, message):
    name = unique("tn-multi-bad")
    request = multi_algorithm_request(name, bucket, source)
    change(request)
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"] == []
    assert sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"] == []


def test_instance_configs_of_a_single_definition_set_the_trials_resources(sm, bucket, source):
    name = unique("tn-iconf")
    request = tuning_request(name, bucket, source, max_jobs=1, parallel=1)
    request["TrainingJobDefinition"]["HyperParameterTuningResourceConfig"] = {"InstanceConfigs": [
        {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 9}]}
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobDefinition"]["HyperParameterTuningResourceConfig"] == \
        request["TrainingJobDefinition"]["HyperParameterTuningResourceConfig"]
    (trial,) = children(sm, name)
    assert "TrainingJobDefinitionName" not in trial
    child = sm.describe_training_job(TrainingJobName=trial["TrainingJobName"])
    assert child["ResourceConfig"] == {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 9}
