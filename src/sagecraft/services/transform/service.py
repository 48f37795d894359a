"""Batch transform jobs: the rules and use-cases. A job is stored InProgress and handed to the
reconciler; every later step is a compare-and-set, so StopTransformJob always wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceInUse, ValidationException
from sagecraft.executors import RuntimeRegistry
from sagecraft.services.transform import repository as repo
from sagecraft.services.transform import requests
from sagecraft.services.transform.models import TransformJob, TransformStatus, transform_arn
from sagecraft.storage.metadata import MetadataStore

# (account, region, model name) → the CreateModel request; raises ValidationException "Could not find model …"
ModelLookup = Callable[[str, str, str], Mapping[str, Any]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def not_found(name: str) -> ValidationException:
    return ValidationException(f"Could not find requested job with name {name}")


class TransformService:
    def __init__(
        self,
        store: MetadataStore,
        models: ModelLookup,
        runtimes: Callable[[], RuntimeRegistry],
        bucket_exists: Callable[[str], bool],
        owner: str,
    ) -> None:
        self.store = store
        self.models = models
        self.runtimes = runtimes
        self.bucket_exists = bucket_exists
        self.owner = owner  # the reconciler that runs the jobs created here
        self.listeners: list[Callable[[int], None]] = []

    def create(self, account_id: str, region: str, request: Mapping[str, Any]) -> TransformJob:
        name = request["TransformJobName"]
        requests.check(request, self.bucket_exists)
        model = self.models(account_id, region, request["ModelName"])
        containers = requests.containers_of(model)
        registry = self.runtimes()
        # An image no runtime maps fails here, naming the table.
        pythons = {registry.resolve(container["Image"]).python for container in containers}
        if len(pythons) > 1:
            raise ValidationException(
                "Batch transform of a serial inference pipeline whose containers run in different "
                "runtimes is not supported by Sagecraft yet: its containers run in one process here."
            )
        container, pipeline = containers[0], containers[1:]
        now = _utcnow()
        arn = transform_arn(region, account_id, name)
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            status=TransformStatus.IN_PROGRESS.value,
            created_at=now,
            last_modified=now,
            request=requests.with_defaults(request),
            tags=list(request.get("Tags") or []),
            runtime={"model": {**container, "ModelArn": model.get("ModelArn")}, "pipeline": pipeline},
            owner=self.owner,
        )
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise _in_use(arn)
                job_id = repo.insert_job(db, values)
        except IntegrityError:  # created concurrently
            raise _in_use(arn) from None
        self._changed(job_id)
        return self.get_by_id(job_id)  # type: ignore[return-value]

    def get(self, account_id: str, region: str, name: str) -> TransformJob:
        with self.store.read() as db:
            job = repo.by_arn(db, transform_arn(region, account_id, name))
        if job is None:
            raise not_found(name)
        return job

    def get_by_id(self, job_id: int) -> TransformJob | None:
        with self.store.read() as db:
            return repo.by_id(db, job_id)

    def list(self, account_id: str, region: str, name_contains: str = "") -> list[TransformJob]:
        with self.store.read() as db:
            return repo.in_region(db, account_id, region, name_contains)

    def stop(self, account_id: str, region: str, name: str) -> None:
        for _attempt in range(5):
            job = self.get(account_id, region, name)
            if job.status is TransformStatus.STOPPING:
                return
            if job.status is not TransformStatus.IN_PROGRESS:
                raise ValidationException(
                    f"The request was rejected because the transform job is in status {job.status.value}."
                )
            with self.store.write() as db:
                moved = repo.update(
                    db,
                    job.id,
                    TransformStatus.IN_PROGRESS.value,
                    {"status": TransformStatus.STOPPING.value, "last_modified": _utcnow()},
                )
            if moved:
                self._changed(job.id)
                return
        raise ValidationException(f"The transform job {name} changed while it was being stopped; try again.")

    def active_ids(self) -> list[int]:
        with self.store.read() as db:
            return repo.active_ids(db, self.owner)

    def _changed(self, job_id: int) -> None:
        for listener in self.listeners:
            listener(job_id)


def _in_use(arn: str) -> ResourceInUse:
    return ResourceInUse(
        f"Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})"
    )
