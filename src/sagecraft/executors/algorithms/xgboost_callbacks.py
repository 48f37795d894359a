"""xgboost.train callbacks of the built-in algorithm: the per-round log line, early stopping on the
validation channel, and checkpoints for managed spot training (imported by the training process only)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import xgboost as xgb

from sagecraft.executors.algorithms.xgboost_hyperparameters import TrainingConfig

CHECKPOINT_PREFIX = "xgboost-checkpoint."
KEEP_CHECKPOINTS = 2
_CHECKPOINT_RE = re.compile(r"^xgboost-checkpoint\.(\d+)$")


class _Continuing(xgb.callback.TrainingCallback):
    """xgboost numbers the rounds of a continued training (a resumed checkpoint) from 0: count on."""

    start = 0

    def before_training(self, model: Any) -> Any:
        self.start = model.num_boosted_rounds()
        return model


class RoundLog(_Continuing):
    """``[12]\\ttrain-logloss:0.10000\\tvalidation-auc:0.98000``: xgboost's own evaluation line (real
    tabs; CloudWatch, and so the metric regexes, read them as #011), flushed as each round ends."""

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        parts = [f"[{epoch + self.start}]"]
        for data, metrics in evals_log.items():
            for metric, history in metrics.items():
                score = history[-1]
                value = score[0] if isinstance(score, tuple) else score
                parts.append(f"{data}-{metric}:{value:.5f}")
        print("\t".join(parts), file=sys.stdout, flush=True)
        return False


class EarlyStopNotice(_Continuing):
    """Says where early stopping stopped (no tab: the line must not look like a round to the regexes)."""

    def __init__(self, rounds: int, metric: str | None, last_epoch: int) -> None:
        self.rounds, self.metric, self.last_epoch = rounds, metric, last_epoch
        self.epoch = -1

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        self.epoch = epoch + self.start
        return False

    def after_training(self, model: Any) -> Any:
        best = model.attr("best_iteration")
        if self.epoch < self.last_epoch and best is not None:
            print(f"Stopping. Best iteration: {best} (validation {self.metric or 'metric'}: "
                  f"{model.attr('best_score')}); no improvement in the {self.rounds} rounds after it.", flush=True)
        return model


class Checkpoint(_Continuing):
    """The model after each round in the checkpoint folder, so a restarted (spot) job resumes there."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{CHECKPOINT_PREFIX}{epoch + self.start}"
        temporary = self.directory / f".{target.name}.tmp"
        temporary.write_bytes(bytes(model.save_raw(raw_format="json")))
        temporary.replace(target)
        for old in _checkpoints(self.directory)[:-KEEP_CHECKPOINTS]:
            old[1].unlink(missing_ok=True)
        return False


def _checkpoints(directory: Path) -> list[tuple[int, Path]]:
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _CHECKPOINT_RE.match(p.name))]
    return sorted(found)


def latest_checkpoint(directory: Path) -> tuple[Path | None, int]:
    """The newest checkpoint and how many rounds it holds ((None, 0) when there is none)."""
    found = _checkpoints(directory)
    if not found:
        return None, 0
    epoch, path = found[-1]
    return path, epoch + 1


def callbacks_for(config: TrainingConfig, *, early_stopping: bool, checkpoint_dir: Path | None) -> list[Any]:
    """Callbacks in call order; the notice sits before EarlyStopping to see each round it sees."""
    # The round line first: xgboost stops asking the callbacks after the first one that says stop.
    callbacks: list[Any] = [RoundLog()]
    if checkpoint_dir is not None:
        callbacks.append(Checkpoint(checkpoint_dir))
    if early_stopping and config.early_stopping_rounds:
        callbacks.append(EarlyStopNotice(config.early_stopping_rounds, config.early_stopping_metric,
                                         config.num_round - 1))
        callbacks.append(xgb.callback.EarlyStopping(
            rounds=config.early_stopping_rounds, data_name="validation", metric_name=config.early_stopping_metric,
            maximize=config.maximize, save_best=True))
    return callbacks
