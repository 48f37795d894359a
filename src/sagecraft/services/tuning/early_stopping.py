"""Early stopping (TrainingJobEarlyStoppingType Auto), SageMaker's median rule: a running trial whose
running average of the objective at epoch k is worse than the median of the running averages at k
of the trials that ended is stopped. Epoch k is the k-th value the trial reported. Pure."""

from __future__ import annotations

import statistics

from sagecraft.services.tuning.models import ChildResult
from sagecraft.services.tuning.progress import Progress

MIN_PEERS = 3  # ended trials that reached epoch k before the rule applies at k


def _running_average(values: list[float], epochs: int) -> float:
    return sum(values[:epochs]) / epochs


def to_stop(progress: Progress, already: set[str]) -> list[ChildResult]:
    ended = [c for c in progress.children if c.status in ("Completed", "Stopped") and c.values]
    out = []
    for child in progress.children:
        if child.status != "InProgress" or not child.values or child.name in already:
            continue
        epochs = len(child.values)
        # Multi-algorithm tuning: a trial is compared with its own definition's (same metric).
        peers = [_running_average(c.values, epochs) for c in ended
                 if len(c.values) >= epochs and c.trial.definition == child.trial.definition]
        if len(peers) < MIN_PEERS:
            continue
        median = statistics.median(peers)
        if progress.better(median, _running_average(child.values, epochs)):
            out.append(child)
    return out
