"""The Hyperband strategy: trials report their objective once per epoch; the pruner stops the ones
that fall behind at a rung (they end Stopped, their last value counts); it needs early stopping Off."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tuning_support import children, tuning_request, unique, upload_source, wait_tuning

pytestmark = pytest.mark.slow

# 9 epochs; the objective climbs towards the trial's quality.
EPOCHS = """
    import argparse, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float)
    parser.add_argument("--epochs", type=int)
    args, _ = parser.parse_known_args()
    for epoch in range(1, args.epochs + 1):
        print(f"epoch {epoch} objective={args.quality * (1 - 0.5 ** epoch):.6f}", flush=True)
        time.sleep(0.4)
"""
QUALITY = {"ContinuousParameterRanges": [{"Name": "quality", "MinValue": "0", "MaxValue": "1"}]}


def _hyperband(request: dict, **settings) -> dict:
    request["HyperParameterTuningJobConfig"].update(Strategy="Hyperband",
                                                    StrategyConfig={"HyperbandStrategyConfig": settings})
    return request


def test_hyperband_stops_trials_that_fall_behind_at_a_rung(sm, s3, bucket):
    source = upload_source(s3, bucket, EPOCHS)
    name = unique("tn-hyperband")
    request = _hyperband(tuning_request(name, bucket, source, ranges=QUALITY, max_jobs=9, parallel=1, RandomSeed=3),
                         MinResource=1, MaxResource=12)  # above the 9 epochs run: only rungs stop trials
    request["TrainingJobDefinition"]["StaticHyperParameters"]["epochs"] = "9"
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name, timeout=240)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    settings = done["HyperParameterTuningJobConfig"]["StrategyConfig"]["HyperbandStrategyConfig"]
    assert settings == {"MinResource": 1, "MaxResource": 12}
    trials = children(sm, name)
    assert len(trials) == 9
    stopped = [t for t in trials if t["TrainingJobStatus"] == "Stopped"]
    assert stopped, trials
    counters = done["TrainingJobStatusCounters"]
    assert counters["Stopped"] == len(stopped) and counters["Completed"] + counters["Stopped"] == 9
    assert done["ObjectiveStatusCounters"]["Succeeded"] == 9  # a stopped trial's last value counts
    for trial in stopped:  # stopped before its last epoch, on a value below a better trial's at that epoch
        value = trial["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        quality = float(trial["TunedHyperParameters"]["quality"])
        assert value < quality * (1 - 0.5 ** 9) - 1e-6
        described = sm.describe_training_job(TrainingJobName=trial["TrainingJobName"])
        assert [t["Status"] for t in described["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    best = done["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == max(
        t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials)


@pytest.mark.parametrize("config, settings, message", [
    ({"TrainingJobEarlyStoppingType": "Auto"}, {"MinResource": 1, "MaxResource": 9}, "TrainingJobEarlyStoppingType"),
    ({}, {"MinResource": 5, "MaxResource": 3}, "MinResource"),
    ({}, {"MinResource": 1}, "MaxResource"),
    ({}, {"MinResource": 1, "MaxResource": 20001}, "MaxResource"),
    ({"Strategy": "Bayesian"}, {"MinResource": 1, "MaxResource": 9}, "only when the Hyperband strategy"),
])
def test_invalid_hyperband_requests_are_refused(sm, bucket, source, config, settings, message):
    name = unique("tn-hb-bad")
    request = _hyperband(tuning_request(name, bucket, source, ranges=QUALITY), **settings)
    request["HyperParameterTuningJobConfig"].update(config)
    with pytest.raises(ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]
    assert sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"] == []


def test_max_resource_is_inferred_from_the_epochs_hyperparameter(sm, bucket, source):
    name = unique("tn-hb-epochs")
    request = _hyperband(tuning_request(name, bucket, source, ranges=QUALITY, max_jobs=1, parallel=1), MinResource=1)
    request["TrainingJobDefinition"]["StaticHyperParameters"]["num_epochs"] = "4"
    sm.create_hyper_parameter_tuning_job(**request)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert wait_tuning(sm, name)["HyperParameterTuningJobStatus"] == "Stopped"
