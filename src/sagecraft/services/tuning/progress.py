"""Where a tuning job stands, from its children: counters, best trial, whether it should finish. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sagecraft.services.tuning.models import ChildResult, TuningJob

TERMINAL = ("Completed", "Failed", "Stopped")
LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
# ConvergenceDetected (CompleteOnConvergence Enabled), SageMaker's "no significant improvement (1% or
# less)" made concrete: once CONVERGENCE_MIN_TRIALS trials reported the objective, the best value of
# all of them is within 1% (of its magnitude) of the best before the last CONVERGENCE_WINDOW ones.
CONVERGENCE_MIN_TRIALS = 10
CONVERGENCE_WINDOW = 5
CONVERGENCE_TOLERANCE = 0.01


@dataclass
class Progress:
    children: list[ChildResult]
    maximize: bool

    @property
    def running(self) -> list[ChildResult]:
        return [c for c in self.children if c.status not in TERMINAL]

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b

    @property
    def best(self) -> ChildResult | None:
        best = None
        for child in self.children:
            if child.objective is not None and (best is None or self.better(child.objective, best.objective)):
                best = child
        return best

    def counters(self) -> dict[str, Any]:
        status = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
        objective = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        for child in self.children:
            key = {"Completed": "Completed", "Failed": "NonRetryableError", "Stopped": "Stopped"}.get(
                child.status, "InProgress")
            status[key] += 1
            objective[child.objective_status] += 1
        return {"TrainingJobStatusCounters": status, "ObjectiveStatusCounters": objective}

    def not_improving(self) -> int:
        """Trials (in the order they ended) since the best objective last improved."""
        ended = sorted((c for c in self.children if c.objective is not None), key=lambda c: (c.ended_at, c.name))
        best: float | None = None
        count = 0
        for child in ended:
            assert child.objective is not None
            if best is None or self.better(child.objective, best):
                best, count = child.objective, 0
            else:
                count += 1
        return count


    def converged(self) -> bool:
        ended = [c.objective for c in sorted((c for c in self.children if c.objective is not None),
                                             key=lambda c: (c.ended_at or LATEST, c.name))]
        if len(ended) < CONVERGENCE_MIN_TRIALS:
            return False
        pick = max if self.maximize else min
        before, now = pick(ended[:-CONVERGENCE_WINDOW]), pick(ended)
        gain = now - before if self.maximize else before - now
        return gain <= CONVERGENCE_TOLERANCE * abs(before)


def finish_reason(job: TuningJob, progress: Progress, elapsed: float, exhausted: bool) -> str | None:
    """Why the tuning job should stop launching trials: "target", "not-improving", "runtime", "converged",
    "done", or None."""
    limits = job.limits
    runtime = limits.get("MaxRuntimeInSeconds")
    if runtime and elapsed >= runtime:
        return "runtime"
    criteria = job.config.get("TuningJobCompletionCriteria") or {}
    target = criteria.get("TargetObjectiveMetricValue")
    best = progress.best
    if target is not None and best is not None and best.objective is not None and (
            best.objective == target or progress.better(best.objective, float(target))):
        return "target"
    patience = (criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
    if patience and progress.not_improving() >= patience:
        return "not-improving"
    if (criteria.get("ConvergenceDetected") or {}).get("CompleteOnConvergence") == "Enabled" and progress.converged():
        return "converged"
    if exhausted and not progress.running:
        return "done"
    return None


def final_failure(progress: Progress, metric: str) -> str | None:
    """The FailureReason of a tuning job whose trials all ended, or None if it completed."""
    if progress.best is not None:
        return None
    if progress.children and all(c.status == "Failed" for c in progress.children):
        reasons = sorted({c.failure_reason for c in progress.children if c.failure_reason})
        return "All training jobs failed. " + (f"One of them: {reasons[0]}" if reasons else "")
    return f"No training job reported the objective metric {metric}."


def best_summary(job: TuningJob, child: ChildResult | None) -> dict[str, Any] | None:
    if child is None:
        return None
    return summary(job, child)


def summary(job: TuningJob, child: ChildResult) -> dict[str, Any]:
    """A HyperParameterTrainingJobSummary."""
    objective = job.objective_of(child.trial)
    out: dict[str, Any] = {
        "TrainingJobDefinitionName": child.trial.definition, "TrainingJobName": child.name,
        "TrainingJobArn": child.arn, "TuningJobName": job.name,
        "CreationTime": child.created_at, "TrainingStartTime": child.started_at,
        "TrainingEndTime": child.ended_at, "TrainingJobStatus": child.status if child.status != "Pending"
        else "InProgress", "TunedHyperParameters": dict(child.trial.tuned), "FailureReason": child.failure_reason,
        "ObjectiveStatus": child.objective_status,
    }
    if child.objective is not None:
        out["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective["Type"], "MetricName": objective["MetricName"], "Value": child.objective}
    return {k: v for k, v in out.items() if v is not None}


def sort_summaries(summaries: Sequence[dict[str, Any]], sort_by: str, descending: bool) -> list[dict[str, Any]]:
    """ListTrainingJobsForHyperParameterTuningJob's orders; jobs without an objective value sort last."""
    if sort_by == "FinalObjectiveMetricValue":
        scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        others = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" not in s]
        scored.sort(key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], reverse=descending)
        return scored + others
    key = {"Name": lambda s: s["TrainingJobName"], "CreationTime": lambda s: s.get("CreationTime") or LATEST,
           "Status": lambda s: s["TrainingJobStatus"]}[sort_by]
    return sorted(summaries, key=key, reverse=descending)
