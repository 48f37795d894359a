"""Simulated spot interruptions (``sagecraft jobs interrupt``): a request the job's runner carries out.

SageMaker reclaims a managed spot training job's instances without asking; there is no API to do it
on purpose. The request is recorded on the job (its runtime record), so any process that reaches the
metadata store can make it; the runner notices it within a second, ends the instances, and starts
them again from the checkpoints.
"""

from __future__ import annotations

import time

from sagecraft.core.errors import ValidationException
from sagecraft.services.jobs import repository as repo
from sagecraft.services.jobs.models import JobKind, JobStatus, job_arn
from sagecraft.storage.metadata import MetadataStore


def request_interrupt(store: MetadataStore, account_id: str, region: str, name: str) -> int:
    """Record the interruption of a spot training job in progress; returns the job's id."""
    with store.write() as db:
        job = repo.by_arn(db, job_arn(JobKind.TRAINING, region, account_id, name), lock=True)
        if job is None:
            raise ValidationException("Requested resource not found.")
        if not job.spot:
            raise ValidationException(f"Training job {name} does not use managed spot training "
                                      "(EnableManagedSpotTraining): only spot instances are interrupted.")
        if job.status is not JobStatus.IN_PROGRESS:
            raise ValidationException(f"Training job {name} is {job.status.value}: only a job in progress can be "
                                      "interrupted.")
        repo.merge_runtime(db, job.id, {"interrupt_requested": time.time()})
    return job.id
