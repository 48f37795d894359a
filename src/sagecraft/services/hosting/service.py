"""Models, endpoint configs and endpoints: the rules and use-cases (no wire names beyond the
request blocks SageMaker defines, which are stored as sent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ValidationException
from sagecraft.executors import RuntimeRegistry
from sagecraft.services.hosting import repository as repo
from sagecraft.services.hosting.models import EndpointStatus, Kind, Resource, resource_arn
from sagecraft.storage.metadata import MetadataStore

UTC = dt.timezone.utc


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def not_found(kind: Kind, arn: str) -> ValidationException:
    return ValidationException(f'Could not find {kind.label} "{arn}".')


class HostingService:
    def __init__(self, store: MetadataStore, runtimes: Callable[[], RuntimeRegistry]) -> None:
        self.store = store
        self.runtimes = runtimes
        self.listeners: list[Callable[[], None]] = []

    # -- generic ----------------------------------------------------------------------------------

    def get(self, account_id: str, region: str, kind: Kind, name: str) -> Resource:
        arn = resource_arn(kind, region, account_id, name)
        with self.store.read() as db:
            found = repo.by_arn(db, arn)
        if found is None:
            raise not_found(kind, arn)
        return found

    def find(self, account_id: str, region: str, kind: Kind, name: str) -> Resource | None:
        with self.store.read() as db:
            return repo.by_arn(db, resource_arn(kind, region, account_id, name))

    def list(self, account_id: str, region: str, kind: Kind) -> list[Resource]:
        with self.store.read() as db:
            return repo.listing(db, account_id, region, kind)

    def delete(self, account_id: str, region: str, kind: Kind, name: str) -> None:
        found = self.get(account_id, region, kind, name)
        with self.store.write() as db:
            repo.remove(db, found.id)

    def _insert(self, account_id: str, region: str, kind: Kind, name: str, request: dict[str, Any],
                **values: Any) -> Resource:
        arn = resource_arn(kind, region, account_id, name)
        duplicate = ValidationException(f'Cannot create already existing {kind.label} "{arn}".')
        now = _now()
        stored = {k: v for k, v in request.items() if k != "Tags"}
        row = dict(account_id=account_id, region=region, kind=kind.value, name=name, arn=arn, created_at=now,
                   last_modified=now, request=stored, tags=list(request.get("Tags") or []), **values)
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise duplicate
                resource_id = repo.insert_resource(db, row)
                created = repo.by_id(db, resource_id)
        except IntegrityError:
            raise duplicate from None
        assert created is not None
        return created

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # -- models -----------------------------------------------------------------------------------

    def create_model(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        containers = self.containers(request)
        for container in containers:
            if container.get("ModelPackageName"):
                raise ValidationException("Models from model packages (Containers[].ModelPackageName) are not "
                                          "supported by Sagecraft yet.")
            if not container.get("Image"):
                raise ValidationException("The container of a model needs an Image.")
            if container.get("Mode") == "MultiModel":
                raise ValidationException("Multi-model endpoints (Mode MultiModel) are not supported by Sagecraft "
                                          "yet.")
            self.runtimes().resolve(container["Image"])  # an unknown image fails here, naming the table
        return self._insert(account_id, region, Kind.MODEL, request["ModelName"], request)

    @staticmethod
    def containers(request: dict[str, Any]) -> list[dict[str, Any]]:
        primary, containers = request.get("PrimaryContainer"), request.get("Containers") or []
        if primary and containers:
            raise ValidationException("Specify either PrimaryContainer or Containers, not both.")
        found = [primary] if primary else list(containers)
        if not found:
            raise ValidationException("A model needs a PrimaryContainer or Containers.")
        if len(found) > 1:
            raise ValidationException("Serial inference pipelines (more than one container) are not supported by "
                                      "Sagecraft yet.")
        return found

    # -- endpoint configs -------------------------------------------------------------------------

    def create_endpoint_config(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        variants = request["ProductionVariants"]
        names = [v["VariantName"] for v in variants]
        if len(set(names)) != len(names):
            raise ValidationException("The VariantName of each production variant must be unique.")
        for variant in variants:
            if variant.get("ServerlessConfig"):
                raise ValidationException("Serverless endpoints (ServerlessConfig) are not supported by Sagecraft "
                                          "yet.")
            if not variant.get("InitialInstanceCount") or not variant.get("InstanceType"):
                raise ValidationException(f"Production variant {variant['VariantName']} needs InitialInstanceCount "
                                          "and InstanceType.")
            self.get(account_id, region, Kind.MODEL, variant["ModelName"])
        for key in ("ShadowProductionVariants", "AsyncInferenceConfig", "ExplainerConfig"):
            if request.get(key):
                raise ValidationException(f"{key} is not supported by Sagecraft yet.")
        return self._insert(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"], request)

    # -- endpoints --------------------------------------------------------------------------------

    def create_endpoint(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        config = self.get(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"])
        deployment = self._deployment(account_id, region, config)
        created = self._insert(account_id, region, Kind.ENDPOINT, request["EndpointName"], request,
                               status=EndpointStatus.CREATING.value, config_name=config.name, runtime=deployment)
        self._changed()
        return created

    def _deployment(self, account_id: str, region: str, config: Resource) -> dict[str, Any]:
        """What the endpoint runs, copied from its config and models: they may be deleted while it serves."""
        variants = []
        for variant in config.request["ProductionVariants"]:
            model = self.get(account_id, region, Kind.MODEL, variant["ModelName"])
            container = self.containers(model.request)[0]
            variants.append({
                "VariantName": variant["VariantName"], "ModelName": model.name,
                "Image": container["Image"], "ModelDataUrl": container.get("ModelDataUrl"),
                "Environment": dict(container.get("Environment") or {}),
                "InitialVariantWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "InitialInstanceCount": int(variant["InitialInstanceCount"]),
                "InstanceType": variant["InstanceType"],
            })
        return {"variants": variants, "data_capture": config.request.get("DataCaptureConfig")}

    def delete_endpoint(self, account_id: str, region: str, name: str) -> None:
        endpoint = self.get(account_id, region, Kind.ENDPOINT, name)
        with self.store.write() as db:
            if endpoint.status == EndpointStatus.DELETING.value:
                return
            if not repo.update(db, endpoint.id, endpoint.status or "", {
                    "status": EndpointStatus.DELETING.value, "last_modified": _now()}):
                raise ValidationException(f'Endpoint "{endpoint.arn}" changed while being deleted: try again.')
        self._changed()

    def update_endpoint(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        """Blue/green: the new config's fleet is started beside the old one, which goes once it serves."""
        for key in ("RetainAllVariantProperties", "ExcludeRetainedVariantProperties", "DeploymentConfig",
                    "RetainDeploymentConfig"):
            if request.get(key):
                raise ValidationException(f"UpdateEndpoint's {key} is not supported by Sagecraft yet.")
        endpoint = self.get(account_id, region, Kind.ENDPOINT, request["EndpointName"])
        if endpoint.status != EndpointStatus.IN_SERVICE.value:
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        config = self.get(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"])
        runtime = {**endpoint.runtime, "pending": {**self._deployment(account_id, region, config),
                                                   "config_name": config.name}}
        with self.store.write() as db:
            if not repo.update(db, endpoint.id, endpoint.status, {
                    "status": EndpointStatus.UPDATING.value, "runtime": runtime, "failure_reason": None,
                    "last_modified": _now()}):
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        self._changed()
        return endpoint

    # -- the reconciler's steps -------------------------------------------------------------------

    def active_endpoints(self) -> list[Resource]:
        with self.store.read() as db:
            return repo.active_endpoints(db)

    def advance(self, endpoint: Resource, status: EndpointStatus, failure_reason: str | None = None) -> bool:
        with self.store.write() as db:
            return repo.update(db, endpoint.id, endpoint.status or "", {
                "status": status.value, "failure_reason": failure_reason, "last_modified": _now()})

    def finish_update(self, endpoint: Resource, failure_reason: str | None = None) -> bool:
        """Updating → InService: on the new deployment, or (failed) on the old one with the reason."""
        runtime = dict(endpoint.runtime)
        pending = runtime.pop("pending", None) or {}
        values: dict[str, Any] = {"status": EndpointStatus.IN_SERVICE.value, "failure_reason": failure_reason,
                                  "last_modified": _now(), "runtime": runtime}
        if failure_reason is None and pending:
            values["config_name"] = pending.pop("config_name")
            values["runtime"] = pending
        with self.store.write() as db:
            return repo.update(db, endpoint.id, EndpointStatus.UPDATING.value, values)

    def forget(self, endpoint: Resource) -> None:
        with self.store.write() as db:
            repo.remove(db, endpoint.id)
