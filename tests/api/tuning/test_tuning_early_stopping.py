"""Early stopping (TrainingJobEarlyStoppingType Auto, the median rule): a trial whose running average
falls below the median of the ended trials' at the same epoch is stopped; with Off none is."""

from __future__ import annotations

import pytest
from tuning_support import children, tuning_request, unique, upload_source, wait_tuning

# Reports its quality once per epoch, 10 epochs.
EPOCHS = """
    import argparse, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float)
    parser.add_argument("--pace", type=float)
    args, _ = parser.parse_known_args()
    for epoch in range(10):
        print(f"epoch {epoch} objective={args.quality}", flush=True)
        time.sleep(args.pace)
"""


@pytest.mark.parametrize("stopping", ["Auto", "Off"])
def test_a_poor_trial_is_stopped_early_only_with_auto(sm, s3, bucket, stopping):
    source = upload_source(s3, bucket, EPOCHS)
    name = unique(f"tn-early-{stopping.lower()}")
    ranges = {"CategoricalParameterRanges": [{"Name": "quality", "Values": ["0.9", "0.8", "0.85", "0.1"]}]}
    request = tuning_request(name, bucket, source, strategy="Grid", ranges=ranges, max_jobs=None, parallel=1,
                             TrainingJobEarlyStoppingType=stopping)
    request["TrainingJobDefinition"]["StaticHyperParameters"].update(pace="0.3")
    sm.create_hyper_parameter_tuning_job(**request)
    done = wait_tuning(sm, name, timeout=240)
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    trials = {t["TunedHyperParameters"]["quality"]: t for t in children(sm, name)}
    poor = trials["0.1"]
    if stopping == "Off":
        assert {t["TrainingJobStatus"] for t in trials.values()} == {"Completed"}
        return
    assert poor["TrainingJobStatus"] == "Stopped"
    assert poor["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(0.1)
    assert {trials[q]["TrainingJobStatus"] for q in ("0.9", "0.8", "0.85")} == {"Completed"}
    assert done["TrainingJobStatusCounters"]["Stopped"] == 1
    assert done["ObjectiveStatusCounters"]["Succeeded"] == 4
    described = sm.describe_training_job(TrainingJobName=poor["TrainingJobName"])
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    assert poor["TrainingEndTime"] - poor["TrainingStartTime"] < (
        trials["0.9"]["TrainingEndTime"] - trials["0.9"]["TrainingStartTime"])
