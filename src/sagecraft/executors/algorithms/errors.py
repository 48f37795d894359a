"""How a built-in algorithm fails: the SageMaker algorithm toolkit's two kinds of error.

The message goes to /opt/ml/output/failure (the job's FailureReason) prefixed as SageMaker's
built-in algorithms report it: ``ClientError:`` for a problem the user can fix (hyperparameters,
data), ``AlgorithmError:`` for anything else."""

from __future__ import annotations


class AlgorithmFailure(Exception):
    prefix = "AlgorithmError"

    @property
    def failure_reason(self) -> str:
        return f"{self.prefix}: {self}"


class UserError(AlgorithmFailure):
    prefix = "ClientError"


class AlgorithmError(AlgorithmFailure):
    prefix = "AlgorithmError"
