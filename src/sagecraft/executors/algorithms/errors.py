"""How a built-in algorithm fails: the SageMaker algorithm toolkit's two kinds of error.

The message goes to /opt/ml/output/failure (the job's FailureReason) prefixed as SageMaker's
built-in algorithms report it: ``ClientError:`` for a problem the user can fix (hyperparameters,
data), ``AlgorithmError:`` for anything else."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class AlgorithmFailure(Exception):
    prefix = "AlgorithmError"

    @property
    def failure_reason(self) -> str:
        return f"{self.prefix}: {self}"


class UserError(AlgorithmFailure):
    prefix = "ClientError"


class AlgorithmError(AlgorithmFailure):
    prefix = "AlgorithmError"


def run_reporting_failure(root: Path, work: Callable[[], None]) -> int:
    """Run an algorithm's work: 0 when it ends well; else 1, its failure logged and written to
    ``<root>/output/failure``. An unexpected exception is a bug of ours, reported as the containers
    report their framework errors."""
    try:
        work()
    except AlgorithmFailure as failure:
        return _report(root, failure)
    except Exception:
        return _report(root, AlgorithmError(f"framework error: \n{traceback.format_exc()}"))
    return 0


def _report(root: Path, failure: AlgorithmFailure) -> int:
    log.error("%s", failure.failure_reason)
    try:
        (root / "output").mkdir(parents=True, exist_ok=True)
        (root / "output" / "failure").write_text(failure.failure_reason)
    except OSError:
        log.exception("could not write the failure file")
    return 1
