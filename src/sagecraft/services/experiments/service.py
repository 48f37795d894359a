"""Experiments and trials, and which trial components belong to which trial.

SageMaker's rules kept here: names are unique in an account and region ignoring case (a second
Create* is a ValidationException saying "already exists", which the SDK's load-or-create relies
on); an experiment is deleted only once it has no trials, a trial only once no component is
associated with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ResourceNotFound, ValidationException
from sagecraft.services.experiments import repository as repo
from sagecraft.services.experiments.models import Experiment, Trial, TrialComponent, experiments_arn
from sagecraft.storage.metadata import MetadataStore

NOUN = {"experiment": "Experiment", "trial": "Trial", "component": "TrialComponent"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def not_found(kind: str, arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"{NOUN[kind]} '{arn}' does not exist.")


def already_exists(kind: str, arn: str) -> ValidationException:
    return ValidationException(f"{NOUN[kind]} '{arn}' already exists.")


class ExperimentsService:
    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- experiments -----------------------------------------------------------------------------------

    def create_experiment(self, account_id: str, region: str, request: Mapping[str, Any]) -> str:
        name = request["ExperimentName"]
        arn = experiments_arn("experiment", region, account_id, name)
        now = self.clock()
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            display_name=request.get("DisplayName"),
            description=request.get("Description"),
            source=request.get("Source"),
            created_at=now,
            last_modified=now,
            tags=list(request.get("Tags") or []),
        )
        self._insert("experiment", arn, values, lambda db: repo.experiment(db, arn))
        return arn

    def experiment(self, account_id: str, region: str, name: str) -> Experiment:
        arn = experiments_arn("experiment", region, account_id, name)
        with self.store.read() as db:
            found = repo.experiment(db, arn)
        if found is None:
            raise not_found("experiment", arn)
        return found

    def experiments(self, account_id: str, region: str) -> list[Experiment]:
        with self.store.read() as db:
            return repo.experiments_in(db, account_id, region)

    def update_experiment(self, account_id: str, region: str, request: Mapping[str, Any]) -> str:
        found = self.experiment(account_id, region, request["ExperimentName"])
        values = {
            column: request[key]
            for key, column in (("DisplayName", "display_name"), ("Description", "description"))
            if key in request
        }
        with self.store.write() as db:
            repo.update_row(db, "experiment", found.id, {**values, "last_modified": self.clock()})
        return found.arn

    def delete_experiment(self, account_id: str, region: str, name: str) -> str:
        found = self.experiment(account_id, region, name)
        with self.store.write() as db:
            if repo.trials_of_experiment(db, found.id):
                raise ValidationException(f"Experiment '{found.arn}' still has trials: delete them first.")
            repo.delete_row(db, "experiment", found.id)
        return found.arn

    # -- trials ----------------------------------------------------------------------------------------

    def create_trial(self, account_id: str, region: str, request: Mapping[str, Any]) -> str:
        name = request["TrialName"]
        arn = experiments_arn("trial", region, account_id, name)
        parent = self.experiment(account_id, region, request["ExperimentName"])
        now = self.clock()
        values = dict(
            account_id=account_id,
            region=region,
            name=name,
            arn=arn,
            experiment_id=parent.id,
            display_name=request.get("DisplayName"),
            source=request.get("Source"),
            metadata_properties=request.get("MetadataProperties"),
            created_at=now,
            last_modified=now,
            tags=list(request.get("Tags") or []),
        )
        self._insert("trial", arn, values, lambda db: repo.trial(db, arn))
        return arn

    def trial(self, account_id: str, region: str, name: str) -> Trial:
        arn = experiments_arn("trial", region, account_id, name)
        with self.store.read() as db:
            found = repo.trial(db, arn)
        if found is None:
            raise not_found("trial", arn)
        return found

    def trials(self, account_id: str, region: str, params: Mapping[str, Any]) -> list[Trial]:
        with self.store.read() as db:
            if params.get("ExperimentName"):
                parent = repo.experiment(
                    db, experiments_arn("experiment", region, account_id, params["ExperimentName"])
                )
                if parent is None:
                    raise not_found(
                        "experiment", experiments_arn("experiment", region, account_id, params["ExperimentName"])
                    )
                found = repo.trials_of_experiment(db, parent.id)
            else:
                found = repo.trials_in(db, account_id, region)
            if params.get("TrialComponentName"):
                component = self._component(db, account_id, region, params["TrialComponentName"])
                ids = {t.id for t in repo.trials_of_component(db, component.id)}
                found = [t for t in found if t.id in ids]
        return found

    def update_trial(self, account_id: str, region: str, request: Mapping[str, Any]) -> str:
        found = self.trial(account_id, region, request["TrialName"])
        values = {"display_name": request["DisplayName"]} if "DisplayName" in request else {}
        with self.store.write() as db:
            repo.update_row(db, "trial", found.id, {**values, "last_modified": self.clock()})
        return found.arn

    def delete_trial(self, account_id: str, region: str, name: str) -> str:
        found = self.trial(account_id, region, name)
        with self.store.write() as db:
            if repo.component_ids_of_trial(db, found.id):
                raise ValidationException(
                    f"Trial '{found.arn}' still has trial components associated with it: disassociate them first."
                )
            repo.delete_row(db, "trial", found.id)
        return found.arn

    # -- associations ----------------------------------------------------------------------------------

    def associate(self, account_id: str, region: str, component_name: str, trial_name: str) -> tuple[str, str]:
        with self.store.write() as db:
            component = self._component(db, account_id, region, component_name)
            trial = self._trial(db, account_id, region, trial_name)
            repo.link(db, trial.id, component.id, {"created_at": self.clock()})  # a repeat changes nothing
        return component.arn, trial.arn

    def disassociate(self, account_id: str, region: str, component_name: str, trial_name: str) -> tuple[str, str]:
        with self.store.write() as db:
            component = self._component(db, account_id, region, component_name)
            trial = self._trial(db, account_id, region, trial_name)
            if not repo.unlink(db, trial.id, component.id):
                raise ResourceNotFound(f"TrialComponent '{component.arn}' is not associated with Trial '{trial.arn}'.")
        return component.arn, trial.arn

    # -- helpers ---------------------------------------------------------------------------------------

    def _insert(self, kind: str, arn: str, values: Mapping[str, Any], lookup: Callable[[Any], Any]) -> int:
        try:
            with self.store.write() as db:
                if lookup(db) is not None:
                    raise already_exists(kind, arn)
                return repo.insert_row(db, kind, values)
        except IntegrityError:  # created concurrently
            raise already_exists(kind, arn) from None

    @staticmethod
    def _component(db: Any, account_id: str, region: str, name: str) -> TrialComponent:
        arn = experiments_arn("component", region, account_id, name)
        found = repo.component(db, arn)
        if found is None:
            raise not_found("component", arn)
        return found

    @staticmethod
    def _trial(db: Any, account_id: str, region: str, name: str) -> Trial:
        arn = experiments_arn("trial", region, account_id, name)
        found = repo.trial(db, arn)
        if found is None:
            raise not_found("trial", arn)
        return found
