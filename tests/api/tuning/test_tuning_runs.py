"""Tuning jobs really run their trials: ranges explored as declared, the best trial, failures,
parallelism, stop, the target objective."""

from __future__ import annotations

import itertools
import math

from tuning_support import children, tuning_request, unique, wait_tuning


def test_random_explores_the_ranges_and_reports_the_best(sm, bucket, source):
    name = unique("tn-random")
    arn = sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, source, RandomSeed=7))[
        "HyperParameterTuningJobArn"]
    assert arn.endswith(f":hyper-parameter-tuning-job/{name}")
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    assert done["HyperParameterTuningEndTime"] >= done["CreationTime"]
    trials = children(sm, name, MaxResults=3)
    assert len(trials) == 4
    for trial in trials:
        tuned = trial["TunedHyperParameters"]
        assert 0.01 <= float(tuned["xval"]) <= 0.9 and tuned["num"] in {"1", "2", "3", "4", "5"}
        assert tuned["mode"] in {"a", "b"}
        assert trial["TrainingJobName"].startswith(f"{name}-") and len(trial["TrainingJobName"]) == len(name) + 13
    values = {t["TrainingJobName"]: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials}
    for trial in trials:  # each trial ran with its own tuned values
        tuned = trial["TunedHyperParameters"]
        expected = -(float(tuned["xval"]) - 0.3) ** 2 - 0.01 * int(tuned["num"]) + (0.1 if tuned["mode"] == "b" else 0)
        assert math.isclose(values[trial["TrainingJobName"]], expected, rel_tol=1e-6, abs_tol=1e-9)
    assert len({t["TunedHyperParameters"]["xval"] for t in trials}) == 4
    best = done["BestTrainingJob"]
    assert best["TrainingJobName"] == max(values, key=values.get)
    assert math.isclose(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], max(values.values()))
    ordered = children(sm, name, SortBy="FinalObjectiveMetricValue", SortOrder="Descending")
    assert [t["TrainingJobName"] for t in ordered] == sorted(values, key=values.get, reverse=True)

    child = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert child["TuningJobArn"] == arn
    assert child["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}
    hyperparameters = child["HyperParameters"]
    assert hyperparameters["_tuning_objective_metric"] == "objective"
    assert hyperparameters["sleep"] == "0" and hyperparameters["xval"] == best["TunedHyperParameters"]["xval"]
    listed = sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobStatus"] for s in listed] == ["Completed"]
    assert listed[0]["TrainingJobStatusCounters"]["Completed"] == 4 and listed[0]["Strategy"] == "Random"


def test_grid_runs_every_combination_and_a_failing_trial_does_not_stop_it(sm, bucket, source):
    name = unique("tn-grid")
    ranges = {"CategoricalParameterRanges": [{"Name": "mode", "Values": ["a", "bad", "b"]},
                                             {"Name": "num", "Values": ["1", "2"]}]}
    sm.create_hyper_parameter_tuning_job(**tuning_request(
        name, bucket, source, strategy="Grid", ranges=ranges, max_jobs=None, parallel=2, sleep=0.5))
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert done["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 2}
    trials = children(sm, name)
    combos = {(t["TunedHyperParameters"]["mode"], t["TunedHyperParameters"]["num"]) for t in trials}
    assert combos == set(itertools.product(["a", "bad", "b"], ["1", "2"]))
    assert {t["TrainingJobName"] for t in children(sm, name, StatusEquals="Failed")} == {
        t["TrainingJobName"] for t in trials if t["TunedHyperParameters"]["mode"] == "bad"}
    assert done["BestTrainingJob"]["TunedHyperParameters"] == {"mode": "b", "num": "1"}
    # MaxParallelTrainingJobs: never more than 2 trials between start and end at once.
    spans = [(t["TrainingStartTime"], t["TrainingEndTime"]) for t in trials if "TrainingStartTime" in t]
    for start, _end in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2


def test_target_objective_ends_the_tuning_early(sm, bucket, source):
    name = unique("tn-target")
    sm.create_hyper_parameter_tuning_job(**tuning_request(
        name, bucket, source, max_jobs=10, parallel=1, objective="Minimize",
        TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 10.0}))
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert len(children(sm, name)) == 1


def test_stop_stops_the_running_trials(sm, bucket, source):
    name = unique("tn-stop")
    sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, source, max_jobs=6, parallel=2, sleep=120))
    wait_tuning(sm, name, statuses=("InProgress",),
                check=lambda d: d["TrainingJobStatusCounters"]["InProgress"] == 2)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    done = wait_tuning(sm, name, timeout=60)
    assert done["HyperParameterTuningJobStatus"] == "Stopped"
    trials = children(sm, name)
    assert len(trials) == 2 and {t["TrainingJobStatus"] for t in trials} == {"Stopped"}
    assert done["TrainingJobStatusCounters"]["Stopped"] == 2


def test_best_objective_not_improving_ends_the_tuning(sm, bucket, source):
    name = unique("tn-patience")
    ranges = {"CategoricalParameterRanges": [{"Name": "num", "Values": [str(n) for n in range(1, 9)]}]}
    sm.create_hyper_parameter_tuning_job(**tuning_request(  # objective falls with num: trial 1 stays the best
        name, bucket, source, strategy="Grid", ranges=ranges, max_jobs=None, parallel=1,
        TuningJobCompletionCriteria={"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}}))
    done = wait_tuning(sm, name)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["TuningJobCompletionDetails"]["NumberOfTrainingJobsObjectiveNotImproving"] == 3
    assert done["BestTrainingJob"]["TunedHyperParameters"] == {"num": "1"}
