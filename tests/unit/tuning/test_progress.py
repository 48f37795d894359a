"""When a tuning job stops launching trials: runtime, target objective, patience, all trials done."""

from __future__ import annotations

import datetime as dt

from sagecraft.services.tuning.models import ChildResult, Trial, TuningJob, TuningStatus
from sagecraft.services.tuning.progress import Progress, finish_reason

NOW = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)


def _job(limits: dict, criteria: dict | None = None, objective: str = "Maximize") -> TuningJob:
    config = {"Strategy": "Random", "ResourceLimits": limits,
              "HyperParameterTuningJobObjective": {"Type": objective, "MetricName": "m"}}
    if criteria:
        config["TuningJobCompletionCriteria"] = criteria
    return TuningJob(1, "0" * 12, "us-east-1", "t", "arn", TuningStatus.IN_PROGRESS, None, NOW, NOW, None,
                     {"HyperParameterTuningJobConfig": config})


def _child(index: int, value: float | None, status: str = "Completed") -> ChildResult:
    return ChildResult(Trial(index, f"t-{index}", {}, {}), f"t-{index}", "arn", status,
                       ended_at=NOW + dt.timedelta(seconds=index), objective=value)


def test_the_tuning_runtime_limit_ends_it():
    job = _job({"MaxParallelTrainingJobs": 1, "MaxNumberOfTrainingJobs": 9, "MaxRuntimeInSeconds": 120})
    progress = Progress([_child(0, None, "InProgress")], True)
    assert finish_reason(job, progress, 119, False) is None
    assert finish_reason(job, progress, 120, False) == "runtime"


def test_the_target_objective_ends_it_in_the_objective_direction():
    progress = Progress([_child(0, 0.5)], False)
    assert finish_reason(_job({}, {"TargetObjectiveMetricValue": 0.6}, "Minimize"), progress, 0, False) == "target"
    assert finish_reason(_job({}, {"TargetObjectiveMetricValue": 0.4}, "Minimize"), progress, 0, False) is None


def test_patience_counts_trials_since_the_best_improved():
    job = _job({}, {"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}})
    improving = Progress([_child(0, 0.1), _child(1, 0.2), _child(2, 0.15), _child(3, 0.3)], True)
    assert improving.not_improving() == 0 and finish_reason(job, improving, 0, False) is None
    stale = Progress([_child(0, 0.5), _child(1, 0.2), _child(2, 0.15), _child(3, 0.3)], True)
    assert stale.not_improving() == 3 and finish_reason(job, stale, 0, False) == "not-improving"


def test_done_once_every_trial_is_launched_and_none_runs():
    job = _job({"MaxParallelTrainingJobs": 1, "MaxNumberOfTrainingJobs": 2})
    assert finish_reason(job, Progress([_child(0, 1.0), _child(1, None, "InProgress")], True), 0, True) is None
    assert finish_reason(job, Progress([_child(0, 1.0), _child(1, None, "Failed")], True), 0, True) == "done"
